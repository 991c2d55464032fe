"""The demo's retrieval display: each hit ranked by each evidence alone."""

from __future__ import annotations

from types import SimpleNamespace

from mom_micro.demo.retrieval import layer_ranks


def _hit(
    doc: str, chunk: float, sentence: float | None, core: float, outline: float, lexical: float
) -> SimpleNamespace:
    meta = {
        "doc_id": doc,
        "score_chunk": chunk,
        "score_sentence": sentence,
        "score_core": core,
        "score_outline": outline,
        "score_lexical": lexical,
    }
    return SimpleNamespace(node=SimpleNamespace(metadata=meta))


def test_layer_ranks_rank_each_hit_by_each_evidence_alone():
    hits = [
        _hit("a", 0.5, None, 0.9, 0.3, 1.0),
        _hit("b", 0.7, 0.8, 0.1, 0.6, 0.0),
        _hit("a", 0.6, 0.65, 0.2, 0.3, 0.4),
    ]
    # a hit with no sentence probe found ranks last by that evidence
    assert layer_ranks(hits) == [
        {"chunk": 3, "sentence": 3, "core": 1, "outline": 2, "lexical": 1},
        {"chunk": 1, "sentence": 1, "core": 3, "outline": 1, "lexical": 3},
        {"chunk": 2, "sentence": 2, "core": 2, "outline": 2, "lexical": 2},
    ]
