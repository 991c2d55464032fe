"""The QA data readers of the benchmarks: SQuAD JSON, JSONL, ``limit_docs``."""

from __future__ import annotations

import json

import pytest

from mom_micro.bench import load_dataset
from mom_micro.bench.data import BenchDataError
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


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"data": 5}, "'data' must be a list"),
        (
            {"data": [{"paragraphs": [{"context": 7, "qas": []}]}]},
            "context: expected text, got int",
        ),
        ({"data": [{"paragraphs": [{"context": "  ", "qas": []}]}]}, "context: the text is empty"),
        ({"data": [{"paragraphs": "x"}]}, "is not SQuAD format"),
        ({"nope": 1}, "no top-level 'data'"),
    ],
)
def test_malformed_squad_files_are_refused_naming_the_file_and_the_place(
    tmp_path, content, message
):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(content))
    with pytest.raises(BenchDataError, match=message) as error:
        load_dataset(path)
    assert str(path) in str(error.value)


def test_a_dataset_whose_only_document_is_empty_is_refused(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text(json.dumps({"input": "", "instructions": ["q"], "outputs": ["a"]}) + "\n")
    with pytest.raises(BenchDataError, match="empty.jsonl:1: input: the text is empty"):
        load_dataset(path)
    with pytest.raises(BenchDataError, match="limit_docs must be at least 1"):
        load_dataset(squad_file(tmp_path), limit_docs=0)
