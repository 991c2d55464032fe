"""The demo's ranking data: the shipped sample is labelled synthetic and balanced."""

from __future__ import annotations

import json

from mom_micro.demo.ranking import STYLE_DATA, USERS
from mom_micro.rewards import read_preferences


def test_the_shipped_preference_sample_is_labelled_synthetic_and_balanced():
    rows = [json.loads(line) for line in STYLE_DATA.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 80 and all(row["synthetic"] is True for row in rows)
    pairs, report = read_preferences(STYLE_DATA)
    assert report.pairs == 80 and not report.skipped
    assert {p.context for p in pairs} == set(USERS.values())
    assert sum(p.context == USERS["ana"] for p in pairs) == 40
