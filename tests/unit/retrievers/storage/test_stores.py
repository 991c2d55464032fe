"""LayerStores: any LlamaIndex vector store, Chroma's batch limit, the ids-only search."""

from __future__ import annotations

import chromadb
import pytest
from llama_index.core.vector_stores import SimpleVectorStore
from llama_index.vector_stores.chroma import ChromaVectorStore

from mom_micro.retrievers import INDEX_LAYERS, LayerStores, MemoryIndex


@pytest.mark.parametrize("kind", ["shared-chroma", "simple"])
def test_any_llamaindex_vector_store(reader, embed, docs, kind):
    if kind == "simple":
        store = SimpleVectorStore()
    else:
        client = chromadb.EphemeralClient()
        store = ChromaVectorStore(
            chroma_collection=client.get_or_create_collection(f"shared_{id(docs)}")
        )
    index = MemoryIndex.from_documents(
        docs, None, reader=reader, embed_model=embed, vector_store=store
    )
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

    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"))
    limit = client.get_max_batch_size()
    stores = LayerStores.from_chroma(client, {layer: f"big-{layer}" for layer in INDEX_LAYERS})
    nodes = [
        TextNode(
            id_=f"n{i}",
            text=f"chunk {i}",
            embedding=[1.0, float(i % 7), 0.5],
            metadata={"layer": "chunk"},
        )
        for i in range(limit + 100)
    ]
    stores.add(nodes, op="v1")
    assert client.get_collection("big-chunk").count() == limit + 100


def test_chroma_ids_only_search_matches_the_llamaindex_adapter(index):
    """With a node lookup the layers ask Chroma for ids, metadata and distances only; the
    hits (ids, cosines, metadata) must be those LlamaIndex's ChromaVectorStore returns
    (stores without a lookup go through the adapter)."""
    stores = index.stores
    adapter = LayerStores({layer: stores.store(layer) for layer in INDEX_LAYERS})
    embedding = index.embed_model.get_query_embedding("red planet iron oxide")
    for layer in ("outline", "core", "chunk", "sentence"):
        for doc_ids in (None, ["space"]):
            fast = stores.query(layer, embedding, 3, doc_ids)
            slow = adapter.query(layer, embedding, 3, doc_ids)
            assert [h.node_id for h in fast] == [h.node_id for h in slow] and fast
            assert [h.cosine for h in fast] == pytest.approx([h.cosine for h in slow])
            assert [h.metadata["unit"] for h in fast] == [h.metadata["unit"] for h in slow]


@pytest.mark.parametrize("location", ["chroma", "simple"])
def test_leftover_versions_never_crowd_committed_hits_out(tmp_path, reader, embed, docs, location):
    """A killed writer leaves near copies of a document's vectors under a version that is
    not committed; the k hits of a query are still k committed ones, the same as before."""
    from mom_micro.retrievers.storage.location import index_location
    from tests.support.storage import make_storage

    where = index_location(
        tmp_path / "idx", vector_store=SimpleVectorStore() if location == "simple" else None
    )
    storage = make_storage(where, reader, embed)
    storage.write(docs)
    records = storage.records()
    stores = storage.parts.stores
    stores.visible = lambda doc_id, op: records[doc_id].op == op
    query = embed.get_query_embedding("rockets thrust propellant planet")
    before = stores.query("chunk", query, 3)
    for copy in range(4):  # four interrupted rewrites of both documents
        built = storage.writer.builder.build(docs)
        for node in built.nodes:
            node.embedding = embed.get_text_embedding(node.get_content(metadata_mode="embed"))
        stores.add(built.nodes, f"killed-{copy}")
    after = stores.query("chunk", query, 3)
    assert len(after) == 3 and [(h.doc_id, h.op) for h in after] == [
        (h.doc_id, h.op) for h in before
    ]
