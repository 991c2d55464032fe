"""The QA data readers of the benchmarks: SQuAD JSON, JSONL, ``limit_docs``."""

from __future__ import annotations

import json

import pytest

from mom_micro.bench import load_dataset
from tests.support.retrieval import PETS, squad_file


def test_readers_and_limit(tmp_path):
    squad = load_dataset(squad_file(tmp_path))
    assert list(squad.documents) == ["1", "2"] and len(squad.questions) == 2
    assert len(load_dataset(squad_file(tmp_path), limit_docs=1).questions) == 1
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text(
        json.dumps({"input": PETS, "instructions": ["q1", "q2"], "outputs": ["Cats purr", "birds"]})
        + "\n"
    )
    leval = load_dataset(jsonl)
    assert [q.answers for q in leval.questions] == [("Cats purr",), ("birds",)]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": 1}\n')
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        load_dataset(bad)
    with pytest.raises(FileNotFoundError):
        load_dataset(tmp_path / "none.json")
