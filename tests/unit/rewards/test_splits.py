"""Splits by prompt and the stage-2 label budget per context."""

from __future__ import annotations

import pytest

from mom_micro.rewards import budget_rows, split_by_prompt
from tests.support.rewards import toy_pairs


def test_split_by_prompt_and_budget_rows():
    pairs = toy_pairs(20)
    train, test = split_by_prompt(pairs, 0.25, seed=1)
    assert len(test) == 10 and len(train) == 30
    assert not {p.prompt for p in train} & {p.prompt for p in test}
    rows = budget_rows([p.context for p in train], 4, seed=0)
    assert sorted(train[i].context for i in rows) == ["concise"] * 4 + ["friendly"] * 4
    assert budget_rows([p.context for p in train], 4, seed=0) == rows
    with pytest.raises(ValueError, match="fraction"):
        split_by_prompt(pairs, 1.5)
