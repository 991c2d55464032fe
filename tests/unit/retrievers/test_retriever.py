"""ThreeLayerRetriever: layer scores, scopes, de-duplication, reranking, async."""

from __future__ import annotations

import pytest
from llama_index.core import Document
from llama_index.core.llms import MockLLM
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.query_engine import RetrieverQueryEngine

from mom_micro.retrievers import (
    InvalidQueryError,
    LayerWeights,
    MemoryIndex,
)


def _ids(results):
    return [r.node.node_id for r in results]


class ReverseReranker(BaseNodePostprocessor):
    def _postprocess_nodes(self, nodes, query_bundle=None):
        return list(reversed(nodes))


def test_retrieves_the_matching_chunk_with_layer_scores(index):
    results = index.as_retriever(similarity_top_k=2).retrieve("Which planet is the red one, Mars?")
    assert results[0].node.node_id == "space#chunk-0"
    meta = results[0].node.metadata
    assert meta["layer"] == "chunk" and meta["title"] == "Planets"
    for key in (
        "score_chunk",
        "score_sentence",
        "score_core",
        "score_outline",
        "score_lexical",
        "score_neighbours",
        "score_fused",
        "probability",
    ):
        assert key in meta
    assert meta["score_sentence"] is not None  # "Mars is the red planet ..." is a probe
    weights = LayerWeights()
    view = max(meta["score_chunk"], meta["score_sentence"])
    expected = (
        view
        + weights.core * meta["score_core"]
        + weights.outline * meta["score_outline"]
        + weights.lexical * meta["score_lexical"]
        + weights.neighbours * meta["score_neighbours"]
    )
    assert results[0].score == pytest.approx(expected, abs=1e-5)
    assert results[0].score >= results[1].score


@pytest.mark.parametrize("query", ["", "   ", "x" * 100_000])
def test_bad_queries_raise_clear_errors(index, query):
    with pytest.raises(InvalidQueryError, match="empty|over the limit"):
        index.as_retriever().retrieve(query)


def test_doc_ids_filter_to_one_document(index):
    results = index.as_retriever(similarity_top_k=3, doc_ids=["pets"]).retrieve("red planet Mars")
    assert results and {r.node.metadata["doc_id"] for r in results} == {"pets"}


def test_duplicates_are_removed(tmp_path, reader, embed):
    text = "Alpha\nThe same paragraph about graphs.\n\nBeta\nOther words entirely here."
    docs = [Document(text=text, id_="one"), Document(text=text, id_="two")]
    index = MemoryIndex.from_documents(docs, None, reader=reader, embed_model=embed)
    results = index.as_retriever(similarity_top_k=4).retrieve("paragraph about graphs")
    texts = [r.node.get_content() for r in results]
    assert len(texts) == len(set(texts)) == 2


def test_reranker_and_query_engine(index):
    plain = _ids(index.as_retriever(similarity_top_k=10).retrieve("telescope mirrors"))
    reranked = _ids(
        index.as_retriever(similarity_top_k=10, reranker=ReverseReranker()).retrieve(
            "telescope mirrors"
        )
    )
    assert reranked == list(reversed(plain))
    engine = RetrieverQueryEngine.from_args(index.as_retriever(similarity_top_k=2), llm=MockLLM())
    response = engine.query("telescope mirrors")
    assert response.source_nodes[0].node.node_id == "space#chunk-2"


async def test_async_retrieve_matches_sync(index):
    retriever = index.as_retriever(similarity_top_k=3)
    assert _ids(await retriever.aretrieve("gas giant spot")) == _ids(
        retriever.retrieve("gas giant spot")
    )
    report = await index.aadd_documents([Document(text="Ants\nAnts farm fungus.", id_="ants")])
    assert report.added == ["ants"]
    assert _ids(await retriever.aretrieve("ants fungus"))[0] == "ants#chunk-0"


def test_max_words_returns_passages_within_the_budget(index):
    retriever = index.as_retriever(similarity_top_k=2, max_words=30, assemble=True)
    results = retriever.retrieve("Which planet is the red one, Mars?")
    assert sum(len(r.node.get_content().split()) for r in results) <= 30
    first = results[0].node
    assert "Mars is the red planet" in first.get_content()
    assert first.metadata["doc_id"] == "space" and first.metadata["units"][0] >= 0
    assert first.metadata["words"] == len(first.get_content().split())
    assert first.node_id.startswith("space#chunk-0~passage-")
    texts = [r.node.get_content() for r in results]
    assert len(texts) == len(set(texts))
    # the same budget without assembly: chunks in rank order, the last one cut
    plain = retriever.with_options(assemble=False).retrieve("Which planet is the red one, Mars?")
    assert sum(len(r.node.get_content().split()) for r in plain) == 30
    assert not any(r.node.metadata["units"][1:] for r in plain)


def test_a_small_budget_keeps_the_best_sentence_of_the_top_chunk(index):
    retriever = index.as_retriever(max_words=12, assemble=True)
    results = retriever.retrieve("How fast must orbital launches go?")
    text = results[0].node.get_content()  # the chunk's later sentence, not its first
    assert "Orbital launches need about 7.8 km per second." in text
    assert "propellant" not in text and len(text.split()) <= 12
    assert results[0].node.metadata["trimmed"] is True


def test_max_words_must_be_positive(index):
    with pytest.raises(ValueError, match="max_words"):
        index.as_retriever(max_words=0)


def test_the_former_name_assembly_still_works_and_warns(index):
    with pytest.warns(DeprecationWarning, match="assemble"):
        old = index.as_retriever(max_words=12, assembly=True)
    assert old.assemble is True
    new = index.as_retriever(max_words=12, assemble=True)
    question = "How fast must orbital launches go?"
    assert [r.node.get_content() for r in old.retrieve(question)] == [
        r.node.get_content() for r in new.retrieve(question)
    ]
