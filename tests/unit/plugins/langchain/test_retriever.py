"""MoMRetriever passes langchain-tests' standard retriever suite; the document transformer."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_tests.integration_tests import RetrieversIntegrationTests

from mom_micro.plugins.langchain import MoMDocumentTransformer, MoMRetriever
from mom_micro.retrievers import MemoryIndex
from mom_micro.text import blank_markup
from tests.support.retrieval import PETS, SPACE, HashEmbedding, ParagraphReader

_INDEX: dict[str, MemoryIndex] = {}


def _shared_index() -> MemoryIndex:
    if "index" not in _INDEX:
        docs = [Document(page_content=PETS, id="pets"), Document(page_content=SPACE, id="space")]
        _INDEX["index"] = MoMRetriever.from_documents(
            docs, reader=ParagraphReader(), embed_model=HashEmbedding()
        ).index
    return _INDEX["index"]


class TestMoMRetrieverStandard(RetrieversIntegrationTests):
    """The peer suite from the langchain-tests package, unchanged."""

    @property
    def retriever_constructor(self) -> type[MoMRetriever]:
        return MoMRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"index": _shared_index()}

    @property
    def retriever_query_example(self) -> str:
        return "Which animals bark at strangers?"


def test_documents_carry_spans_and_layer_scores():
    retriever = MoMRetriever(index=_shared_index(), k=2)
    docs = retriever.invoke("rockets thrust propellant")
    assert docs[0].id == "space#chunk-1"
    assert (
        docs[0].page_content
        == SPACE[docs[0].metadata["start_index"] : docs[0].metadata["end_index"]]
    )
    assert {"score_chunk", "score_core", "score_outline", "score_fused"} <= set(docs[0].metadata)
    only_pets = retriever.invoke("rockets thrust propellant", doc_ids=["pets"])
    assert {d.metadata["doc_id"] for d in only_pets} == {"pets"}


def test_a_word_budget_returns_passages_that_fit_it():
    retriever = MoMRetriever(index=_shared_index(), max_words=20, assemble=True)
    docs = retriever.invoke("Which planet is red?")
    assert sum(len(d.page_content.split()) for d in docs) <= 20
    assert "Mars is the red planet" in docs[0].page_content
    assert docs[0].metadata["units"] and docs[0].metadata["words"] <= 20
    assert len(retriever.invoke("Which planet is red?", max_words=8)[0].page_content.split()) <= 8
    plain = MoMRetriever(index=_shared_index(), max_words=20)  # no assembly by default
    assert sum(len(d.page_content.split()) for d in plain.invoke("Which planet is red?")) == 20


async def test_async_invoke_matches_sync():
    retriever = MoMRetriever(index=_shared_index(), k=3)
    sync = [d.id for d in retriever.invoke("telescope mirrors")]
    assert [d.id for d in await retriever.ainvoke("telescope mirrors")] == sync


def test_empty_query_is_refused():
    with pytest.raises(ValueError, match="empty"):
        MoMRetriever(index=_shared_index()).invoke("  ")


def test_transformer_emits_exact_chunks_and_reports_rejections():
    transformer = MoMDocumentTransformer(
        reader=ParagraphReader(), include_layers=("outline", "chunk")
    )
    out = transformer.transform_documents(
        [
            Document(page_content=PETS, metadata={"source": "pets.txt"}),
            Document(page_content="", metadata={"source": "empty.txt"}),
        ]
    )
    layers = [d.metadata["layer"] for d in out]
    assert layers == ["outline", "chunk", "chunk", "chunk"]
    for doc in out[1:]:
        assert doc.page_content == PETS[doc.metadata["start_index"] : doc.metadata["end_index"]]
        assert doc.metadata["source"] == "pets.txt" and doc.metadata["core"]
    assert [r.doc_id for r in transformer.rejected] == ["empty.txt"]
    titled = MoMDocumentTransformer(reader=ParagraphReader(), prepend_title=True)
    first = titled.transform_documents([Document(page_content=PETS)])[0]
    assert first.page_content.startswith("Cats\nCats")
    with pytest.raises(ValueError, match="unknown layer"):
        MoMDocumentTransformer(include_layers=("summary",))


def test_transformer_reads_html_tags_as_white_space_at_the_pages_offsets():
    page = "<P>Cats purr when <b>content</b>.</P>\n\n<P>Dogs bark at <i>night</i>.</P>"
    chunks = MoMDocumentTransformer(reader=ParagraphReader()).transform_documents(
        [Document(page_content=page)]
    )
    assert [" ".join(c.page_content.split()) for c in chunks] == [
        "Cats purr when content .",
        "Dogs bark at night .",
    ]
    for chunk in chunks:
        span = page[chunk.metadata["start_index"] : chunk.metadata["end_index"]]
        assert blank_markup(span) == chunk.page_content
    kept = MoMDocumentTransformer(reader=ParagraphReader(), keep_markup=True)
    assert kept.transform_documents([Document(page_content=page)])[0].page_content.startswith("<P>")


def test_the_former_name_assembly_still_works_and_warns():
    with pytest.warns(DeprecationWarning, match="assemble"):
        retriever = MoMRetriever(index=_shared_index(), max_words=20, assembly=True)
    assert retriever.assemble is True
    assert retriever.invoke("Which planet is red?")[0].metadata["units"]
