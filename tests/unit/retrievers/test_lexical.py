"""BM25 lexical evidence: the formula, scopes, updates, and its place in the retriever."""

from __future__ import annotations

import math

import pytest

from mom_micro.retrievers import LayerWeights, LexicalIndex, MemoryIndex
from mom_micro.retrievers.lexical import terms
from tests.support.retrieval import HashEmbedding

CHUNKS = [
    (("a", 0), "Masks reduce droplet transmission in crowded rooms."),
    (("a", 1), "The incubation period is about five days; incubation ends with symptoms."),
    (("b", 0), "Vaccines were tested in large trials."),
    (("b", 1), "Trials measured the period of protection."),
]


def _bm25(tf: int, length: int, avgdl: float, n: int, df: int, k1=1.2, b=0.75) -> float:
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    return idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / avgdl))


class BlindEmbedding(HashEmbedding):
    """Every query embeds to the same vector: dense evidence cannot tell chunks apart."""

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vector("telescopes mirrors lenses")


def test_scores_follow_okapi_bm25_normalised_by_the_best_chunk():
    index = LexicalIndex()
    index.add(CHUNKS)
    lengths = [len(terms(text)) for _, text in CHUNKS]
    avgdl = sum(lengths) / len(lengths)
    # "incubation": twice in a1 (df 1); "period": once in a1 and b1 (df 2)
    a1 = _bm25(2, lengths[1], avgdl, 4, 1) + _bm25(1, lengths[1], avgdl, 4, 2)
    b1 = _bm25(1, lengths[3], avgdl, 4, 2)
    scores = index.search("What is the incubation period?")
    assert scores.top(10) == [("a", 1), ("b", 1)]
    assert scores.get(("a", 1)) == pytest.approx(1.0)
    assert scores.get(("b", 1)) == pytest.approx(b1 / a1)
    assert scores.get(("a", 0)) == 0.0


def test_stop_words_and_unknown_terms_give_no_evidence():
    index = LexicalIndex()
    index.add(CHUNKS)
    assert index.search("what is the how of it").top(5) == []
    assert index.search("zeppelin").top(5) == []
    assert LexicalIndex().search("masks").top(5) == []  # empty index


def test_doc_scope_filters_chunks_and_uses_the_scope_statistics():
    index = LexicalIndex()
    index.add(CHUNKS)
    only_b = index.search("incubation period trials", doc_ids=["b"])
    assert set(only_b.top(10)) == {("b", 0), ("b", 1)}
    assert only_b.get(("a", 1)) == 0.0
    # N, n(t) and avgdl of doc b's two chunks: "trials" in both, "period" in b1 only
    lengths = [len(terms(text)) for _, text in CHUNKS[2:]]
    avgdl = sum(lengths) / 2
    b0 = _bm25(1, lengths[0], avgdl, 2, 2)
    b1 = _bm25(1, lengths[1], avgdl, 2, 2) + _bm25(1, lengths[1], avgdl, 2, 1)
    assert only_b.get(("b", 1)) == pytest.approx(1.0)
    assert only_b.get(("b", 0)) == pytest.approx(b0 / b1)
    assert index.search("masks", doc_ids=["nope"]).top(3) == []


def test_a_term_that_fills_the_scoped_document_does_not_outweigh_one_that_picks_a_chunk():
    # "ebola" is rare in the corpus but in most chunks of its own paper
    index = LexicalIndex()
    index.add(
        [
            (("ebola", 0), "Ebola outbreak: ebola cases, ebola deaths, ebola wards."),
            (("ebola", 1), "Ebola spread through contact with patients."),
            (("ebola", 2), "Ebola vaccines were trialled in Guinea."),
            (("ebola", 3), "Incubation lasted two to twenty-one days."),
        ]
    )
    index.add(
        ((f"flu{i}", 0), f"Influenza strain {i} had an incubation of two days.") for i in range(6)
    )
    question = "What was the incubation of Ebola?"
    assert index.search(question).top(1) == [("ebola", 0)]  # corpus: "ebola" is the rare term
    assert index.search(question, doc_ids=["ebola"]).top(1) == [("ebola", 3)]


def test_added_and_removed_documents_update_the_statistics():
    index = LexicalIndex()
    index.add(CHUNKS)
    assert index.search("masks").top(1) == [("a", 0)]
    index.remove("a")
    assert len(index) == 2 and index.search("masks").top(1) == []
    index.add([(("c", 0), "Masks and gloves.")])
    assert index.search("masks").top(1) == [("c", 0)]
    index.add([(("c", 0), "Gloves only.")])  # replaced, not duplicated
    assert len(index) == 3 and index.search("masks").top(1) == []


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="k1"):
        LexicalIndex(k1=-1)
    with pytest.raises(ValueError, match="b="):
        LexicalIndex(b=2)


def test_lexical_evidence_finds_what_the_embedding_misses(reader, docs):
    index = MemoryIndex.from_documents(docs, reader=reader, embed_model=BlindEmbedding())
    top1 = {"chunk": 1, "core": 1, "outline": 1}
    question = "Which animals were domesticated from wolves?"
    dense = index.as_retriever(
        similarity_top_k=1, layer_top_k=top1, weights=LayerWeights(lexical=0)
    )
    assert dense.retrieve(question)[0].node.node_id == "space#chunk-2"
    hit = index.as_retriever(similarity_top_k=1, layer_top_k=top1).retrieve(question)[0]
    assert hit.node.node_id == "pets#chunk-1"  # not among the dense top 1: a lexical candidate
    assert hit.node.metadata["score_lexical"] == 1.0
    assert "imputed_layers" in hit.node.metadata and "chunk" in hit.node.metadata["imputed_layers"]


def test_index_keeps_lexical_statistics_through_reload_and_delete(tmp_path, reader, embed, docs):
    index = MemoryIndex.from_documents(docs, tmp_path / "idx", reader=reader, embed_model=embed)
    assert len(index.lexical) == 6
    reopened = MemoryIndex.load(tmp_path / "idx", reader=reader, embed_model=embed)
    assert len(reopened.lexical) == 6
    assert reopened.lexical.search("propellant").top(1) == [("space", 1)]
    reopened.delete("space")
    assert len(reopened.lexical) == 3 and reopened.lexical.search("propellant").top(1) == []
