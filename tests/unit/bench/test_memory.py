"""``bench memory``'s reading growth: reading time against input size, one line and many."""

from __future__ import annotations

import json

import pytest

from mom_micro.bench.memory import GROWTH_LAYOUTS, growth_table, reading_growth
from mom_micro.memory import ExtractiveExtractor
from tests.support.memory import DATA, hashing_embedder


def test_growth_reads_each_size_in_each_layout_and_reports_the_ratio():
    text = (DATA / "harbor_city_water.txt").read_text()
    reader = ExtractiveExtractor(target_words=60, embedder=hashing_embedder)
    growth = reading_growth([text], reader, sizes_kb=(4, 2))
    assert growth["sizes_kb"] == [2, 4]
    assert set(growth["layouts"]) == set(GROWTH_LAYOUTS) == set(growth["growth"])
    for layout, rows in growth["layouts"].items():
        assert [row["kb"] for row in rows] == [2, 4]
        for row in rows:
            assert 0.9 * row["kb"] * 1000 <= row["chars"] <= row["kb"] * 1000
            assert row["sentences"] > 0 and row["chunks"] > 0 and row["read_s"] > 0
        assert rows[1]["sentences"] > rows[0]["sentences"]
        assert growth["growth"][layout] > 0
    json.dumps(growth)  # the bench's JSON
    table = "\n".join(growth_table(growth))
    assert "| one_line, 4 KB |" in table and "(1 is linear)" in table


def test_growth_refuses_no_text_and_no_size():
    reader = ExtractiveExtractor(embedder=hashing_embedder)
    with pytest.raises(ValueError, match="needs some text"):
        reading_growth(["  "], reader, (1,))
    with pytest.raises(ValueError, match="sizes_kb"):
        reading_growth(["A text."], reader, ())
