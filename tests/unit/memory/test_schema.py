"""DocumentMemory and MemoryUnit: spans, validation, JSON round trip, the outline tree."""

import json

import pytest

from mom_micro.memory import CandidateScore, DocumentMemory, MemoryUnit

TEXT = "Cats purr. Cats nap.\n\nDogs bark loudly."


def make_memory(**kw) -> DocumentMemory:
    return DocumentMemory(
        doc_id="pets",
        units=[
            MemoryUnit("Cats", "Cats purr and nap.", 0, 20),
            MemoryUnit("Dogs", "Dogs bark.", 22, 39),
        ],
        source=TEXT,
        **kw,
    )


def test_chunks_are_source_spans_and_coverage_counts_non_whitespace():
    memory = make_memory()
    assert memory.chunks() == ["Cats purr. Cats nap.", "Dogs bark loudly."]
    assert memory.coverage == 1.0
    partial = DocumentMemory("p", [MemoryUnit("Cats", "c", 0, 10)], TEXT)
    non_ws = sum(not c.isspace() for c in TEXT)
    assert partial.coverage == pytest.approx(sum(not c.isspace() for c in TEXT[:10]) / non_ws)


def test_json_round_trip_keeps_provenance():
    memory = make_memory(
        extractor="llm",
        model="fake",
        path="temperature=0.7",
        candidates=[CandidateScore("temperature=0.7", {"clarity": 0.8, "rrf": 0.03}, 2, True)],
        metadata={"lang": "en"},
    )
    again = DocumentMemory.from_dict(json.loads(json.dumps(memory.to_dict())))
    assert again == memory
    assert again.candidates[0].chosen


@pytest.mark.parametrize(
    "units, message",
    [
        ([MemoryUnit("a", "", 5, 10), MemoryUnit("b", "", 0, 4)], "document order"),
        ([MemoryUnit("a", "", 0, 10), MemoryUnit("b", "", 8, 12)], "overlap"),
        ([MemoryUnit("a", "", 0, 400)], "past the end"),
        ([], "no units"),
    ],
)
def test_invalid_spans_are_refused(units, message):
    with pytest.raises(ValueError, match=message):
        DocumentMemory("d", units, TEXT)


def test_empty_span_is_refused():
    with pytest.raises(ValueError, match="empty"):
        MemoryUnit("a", "", 3, 3)


def test_from_dict_names_missing_keys():
    with pytest.raises(ValueError, match="source"):
        DocumentMemory.from_dict({"doc_id": "x", "units": []})


def test_outline_tree_shows_titles_and_cores():
    tree = make_memory().outline_tree()
    assert "Cats" in tree and "Dogs bark." in tree and "coverage 100%" in tree
