"""MoMNodeParser in LlamaIndex: rejections, pipelines and their cache, async."""

from __future__ import annotations

import pytest
from llama_index.core import Document
from llama_index.core.ingestion import DocstoreStrategy, IngestionPipeline
from llama_index.core.storage.docstore import SimpleDocumentStore

from mom_micro.plugins.llama_index import MoMNodeParser


def test_rejected_document_does_not_stop_the_batch(reader, docs):
    parser = MoMNodeParser.from_defaults(reader=reader)
    batch = [docs[0], Document(text="   \n  ", id_="blank"), docs[1]]
    nodes = parser.get_nodes_from_documents(batch)
    assert {n.metadata["doc_id"] for n in nodes} == {"pets", "space"}
    assert [r.doc_id for r in parser.rejected] == ["blank"]
    assert "empty" in parser.rejected[0].reason


def test_ingestion_pipeline_skips_unchanged_documents(reader, docs):
    pipeline = IngestionPipeline(
        transformations=[MoMNodeParser.from_defaults(reader=reader)],
        docstore=SimpleDocumentStore(),
        docstore_strategy=DocstoreStrategy.DUPLICATES_ONLY,
    )
    first = pipeline.run(documents=docs)
    assert len(first) == 14
    assert pipeline.run(documents=docs) == []
    assert reader.calls == 2
    changed = Document(text=docs[0].text + "\n\nFish\nFish swim.", id_="pets")
    again = pipeline.run(documents=[changed, docs[1]])
    assert {n.metadata["doc_id"] for n in again} == {"pets"}


async def test_async_parse_matches_sync(reader, docs):
    parser = MoMNodeParser.from_defaults(reader=reader, max_workers=2)
    sync_nodes = parser.get_nodes_from_documents(docs)
    async_nodes = await parser.aget_nodes_from_documents(docs)
    assert [(n.node_id, n.text) for n in sync_nodes] == [(n.node_id, n.text) for n in async_nodes]
    pipeline = IngestionPipeline(
        transformations=[parser],
        docstore=SimpleDocumentStore(),
        docstore_strategy=DocstoreStrategy.DUPLICATES_ONLY,
    )
    assert len(await pipeline.arun(documents=docs)) == 14


def test_reader_options_with_a_reader_are_refused(reader):
    with pytest.raises(TypeError):
        MoMNodeParser.from_defaults(reader=reader, target_words=50)


def test_pipeline_cache_tells_readers_apart(reader):
    class OtherReader(type(reader)):
        def __repr__(self) -> str:
            return "OtherReader()"

    a = MoMNodeParser.from_defaults(reader=reader).to_dict()
    b = MoMNodeParser.from_defaults(reader=OtherReader()).to_dict()
    assert a != b
