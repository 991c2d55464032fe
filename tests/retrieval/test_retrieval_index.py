"""MemoryIndex and ThreeLayerRetriever on embedded Chroma, with the scripted reader."""

from __future__ import annotations

import chromadb
import pytest
from llama_index.core import Document
from llama_index.core.llms import MockLLM
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.vector_stores import SimpleVectorStore
from llama_index.vector_stores.chroma import ChromaVectorStore

from mom_micro.retrievers import (
    InvalidQueryError,
    LayerWeights,
    MemoryIndex,
    UnknownDocumentError,
)


@pytest.fixture
def index(tmp_path, reader, embed, docs):
    return MemoryIndex.from_documents(docs, tmp_path / "idx", reader=reader, embed_model=embed)


def _ids(results):
    return [r.node.node_id for r in results]


def test_retrieves_the_matching_chunk_with_layer_scores(index):
    results = index.as_retriever(similarity_top_k=2).retrieve("Which planet is the red one, Mars?")
    assert results[0].node.node_id == "space#chunk-0"
    meta = results[0].node.metadata
    assert meta["layer"] == "chunk" and meta["title"] == "Planets"
    for key in ("score_chunk", "score_sentence", "score_core", "score_outline", "score_lexical",
                "score_neighbours", "score_fused", "probability"):
        assert key in meta
    assert meta["score_sentence"] is not None  # "Mars is the red planet ..." is a probe
    weights = LayerWeights()
    view = max(meta["score_chunk"], meta["score_sentence"])
    expected = (view + weights.core * meta["score_core"]
                + weights.outline * meta["score_outline"]
                + weights.lexical * meta["score_lexical"]
                + weights.neighbours * meta["score_neighbours"])
    assert results[0].score == pytest.approx(expected, abs=1e-5)
    assert results[0].score >= results[1].score


def test_reopens_from_disk_without_embedding_again(tmp_path, reader, embed, docs, index):
    before = _ids(index.as_retriever().retrieve("rockets thrust propellant"))

    class Refuses(type(embed)):
        def _get_text_embedding(self, text):
            raise AssertionError("load() must not embed documents again")

    reopened = MemoryIndex.load(tmp_path / "idx", reader=reader, embed_model=Refuses())
    assert reopened.doc_ids == ["pets", "space"]
    assert _ids(reopened.as_retriever().retrieve("rockets thrust propellant")) == before
    assert before[0] == "space#chunk-1"


def test_unchanged_documents_are_skipped_and_changed_replaced(index, reader, docs):
    calls = reader.calls
    report = index.add_documents(docs)
    assert report.unchanged == ["pets", "space"] and reader.calls == calls
    changed = Document(text="Fish\nFish swim in water and breathe with gills.", id_="pets")
    report = index.insert(changed)
    assert report.updated == ["pets"]
    found = _ids(index.as_retriever(similarity_top_k=6).retrieve("wolves bark dogs"))
    assert not any(i.startswith("pets#chunk-1") for i in found)
    assert index.get_node("pets#chunk-1") is None
    assert _ids(index.as_retriever(similarity_top_k=1).retrieve("fish gills"))[0] == "pets#chunk-0"


def test_delete_removes_all_three_layers(tmp_path, index):
    index.delete("pets")
    assert index.doc_ids == ["space"]
    client = chromadb.PersistentClient(path=str(tmp_path / "idx" / "chroma"))
    for layer in ("outline", "core", "chunk", "sentence"):
        metas = client.get_collection(f"mom_{layer}").get()["metadatas"]
        assert metas and {m["doc_id"] for m in metas} == {"space"}
    with pytest.raises(UnknownDocumentError, match="no document 'pets'.*'space'"):
        index.delete("pets")
    reopened = MemoryIndex.load(tmp_path / "idx", reader=index.parser.reader,
                                embed_model=index.embed_model)
    assert reopened.doc_ids == ["space"]


def test_rejected_document_is_reported_and_the_rest_goes_in(tmp_path, reader, embed, docs):
    batch = [docs[0], Document(text="\x00\x01 binary", id_="bad"), docs[1]]
    index = MemoryIndex.from_documents(batch, tmp_path / "i", reader=reader, embed_model=embed)
    report = index.last_report
    assert report.added == ["pets", "space"]
    assert [r.doc_id for r in report.rejected] == ["bad"] and "binary" in report.rejected[0].reason
    assert "bad" in str(report)
    assert index.doc_ids == ["pets", "space"]


def test_persist_dir_holding_something_else_is_refused(tmp_path, reader, embed, docs):
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty and holds no memory index"):
        MemoryIndex.from_documents(docs, other, reader=reader, embed_model=embed)
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]
    with pytest.raises(FileNotFoundError, match="holds no memory index"):
        MemoryIndex.load(other)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        MemoryIndex.load(tmp_path / "missing")


def test_same_relative_persist_dir_in_two_working_folders(tmp_path, monkeypatch, reader, embed,
                                                          docs):
    """Chroma caches clients by the path string: "./idx" from two working folders must
    still be two indexes (a README example run in two folders once crashed Chroma)."""
    for folder, kept in (("a", docs[:1]), ("b", docs[1:])):
        (tmp_path / folder).mkdir()
        monkeypatch.chdir(tmp_path / folder)
        index = MemoryIndex.from_documents(kept, "./idx", reader=reader, embed_model=embed)
        assert index.doc_ids == [kept[0].doc_id]
        assert {r.node.metadata["doc_id"] for r in index.as_retriever().retrieve("cats")} == {
            kept[0].doc_id}
    assert MemoryIndex.load(tmp_path / "a" / "idx").doc_ids == [docs[0].doc_id]


def test_existing_index_is_not_overwritten(tmp_path, index, reader, embed, docs):
    with pytest.raises(FileExistsError, match="already holds a memory index"):
        MemoryIndex.from_documents(docs, tmp_path / "idx", reader=reader, embed_model=embed)


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


class ReverseReranker(BaseNodePostprocessor):
    def _postprocess_nodes(self, nodes, query_bundle=None):
        return list(reversed(nodes))


def test_reranker_and_query_engine(index):
    plain = _ids(index.as_retriever(similarity_top_k=10).retrieve("telescope mirrors"))
    reranked = _ids(index.as_retriever(similarity_top_k=10, reranker=ReverseReranker())
                    .retrieve("telescope mirrors"))
    assert reranked == list(reversed(plain))
    engine = RetrieverQueryEngine.from_args(index.as_retriever(similarity_top_k=2), llm=MockLLM())
    response = engine.query("telescope mirrors")
    assert response.source_nodes[0].node.node_id == "space#chunk-2"


async def test_async_retrieve_matches_sync(index):
    retriever = index.as_retriever(similarity_top_k=3)
    assert _ids(await retriever.aretrieve("gas giant spot")) == _ids(retriever.retrieve("gas giant spot"))
    report = await index.aadd_documents([Document(text="Ants\nAnts farm fungus.", id_="ants")])
    assert report.added == ["ants"]
    assert _ids(await retriever.aretrieve("ants fungus"))[0] == "ants#chunk-0"


@pytest.mark.parametrize("kind", ["shared-chroma", "simple"])
def test_any_llamaindex_vector_store(reader, embed, docs, kind):
    if kind == "simple":
        store = SimpleVectorStore()
    else:
        client = chromadb.EphemeralClient()
        store = ChromaVectorStore(chroma_collection=client.get_or_create_collection(f"shared_{id(docs)}"))
    index = MemoryIndex.from_documents(docs, None, reader=reader, embed_model=embed,
                                       vector_store=store)
    results = index.as_retriever(similarity_top_k=2).retrieve("rockets thrust propellant")
    assert results[0].node.node_id == "space#chunk-1"
    assert all(r.node.metadata["layer"] == "chunk" for r in results)
    assert results[0].node.metadata["score_chunk"] <= 1.0 + 1e-6
    for doc_ids in (["pets"], ["pets", "nope"]):  # one id, and the "$in" filter
        found = index.as_retriever(doc_ids=doc_ids).retrieve("rockets thrust propellant")
        assert found and {r.node.metadata["doc_id"] for r in found} == {"pets"}
    index.delete("space")
    assert {r.node.metadata["doc_id"] for r in index.as_retriever().retrieve("rockets")} == {"pets"}


def test_adding_more_nodes_than_chromas_batch_limit(tmp_path):
    """Chroma refuses one add of more than its max batch size (5,461 in chromadb 1.5);
    a large corpus (6,359 chunk nodes for the 98 COVID-QA papers) must still go in."""
    from llama_index.core.schema import TextNode

    from mom_micro.retrievers import LayerStores
    from mom_micro.retrievers.index import _chroma_stores

    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"))
    limit = client.get_max_batch_size()
    stores = LayerStores(_chroma_stores(client, "big"))
    nodes = [
        TextNode(id_=f"n{i}", text=f"chunk {i}", embedding=[1.0, float(i % 7), 0.5],
                 metadata={"layer": "chunk"})
        for i in range(limit + 100)
    ]
    stores.add(nodes)
    assert client.get_collection("big_chunk").count() == limit + 100


def test_chroma_ids_only_search_matches_the_llamaindex_adapter(index):
    """The layers ask Chroma for ids, metadata and distances only; the hits (ids, cosines,
    metadata) must be those LlamaIndex's ChromaVectorStore would return."""
    stores = index.stores
    embedding = index.embed_model.get_query_embedding("red planet iron oxide")
    for layer in ("outline", "core", "chunk", "sentence"):
        for doc_ids in (None, ["space"]):
            fast = stores.query(layer, embedding, 3, doc_ids)
            slow = stores._hits(layer, stores.store(layer).query(
                stores._query(layer, embedding, 3, doc_ids)))
            assert [h.node_id for h in fast] == [h.node_id for h in slow] and fast
            assert [h.cosine for h in fast] == pytest.approx([h.cosine for h in slow])
            assert [h.metadata["unit"] for h in fast] == [h.metadata["unit"] for h in slow]
