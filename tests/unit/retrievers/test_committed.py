"""What a client has taken in of an index's committed documents, and how it catches up
with another client's commits."""

from __future__ import annotations

from llama_index.core import Document

from mom_micro.retrievers import node_id_for
from mom_micro.retrievers.committed import CommittedDocuments
from mom_micro.retrievers.storage.location import index_location
from tests.support.storage import make_storage


def test_a_second_client_sees_commits_only_when_it_refreshes(storage, reader, embed, docs):
    other = CommittedDocuments(storage.parts.catalog, storage.location.reporting)
    other.refresh(force=True)
    assert other.records == {} and other.get_node(node_id_for("pets", "chunk", 0)) is None
    storage.write(docs)
    assert other.records == {}  # nothing is read behind the client's back
    assert other.refresh(force=True)
    assert sorted(other.records) == ["pets", "space"]
    assert other.get_node(node_id_for("pets", "chunk", 0)).metadata["doc_id"] == "pets"
    assert other.layer_counts()["chunk"] == len(other.chunk_nodes())
    assert not other.refresh(force=False)  # within refresh_interval: no look at all


def test_only_the_committed_version_is_visible_and_bm25_follows_it(storage, docs):
    committed = CommittedDocuments(storage.parts.catalog, storage.location.reporting, 0.0)
    storage.write(docs)
    committed.refresh()
    op = committed.records["pets"].op
    assert committed.visible("pets", op) and not committed.visible("pets", "in-flight")
    assert committed.lexical.search("bark", doc_ids=["pets"]).top(1)
    storage.write([Document(text="Rivers\nFish swim in rivers.", id_="pets")])
    assert committed.refresh() and not committed.visible("pets", op)
    assert not committed.lexical.search("bark", doc_ids=["pets"]).top(1)
    assert committed.lexical.search("rivers", doc_ids=["pets"]).top(1) == [("pets", 0)]


def test_a_deleted_document_leaves_the_view(tmp_path, reader, embed, docs):
    storage = make_storage(index_location(tmp_path / "idx"), reader, embed)
    storage.write(docs)
    committed = CommittedDocuments(storage.parts.catalog, storage.location.reporting, 0.0)
    committed.refresh()
    with storage.journal.locked():
        storage.writer.delete("space", storage.records(), "default")
    assert committed.refresh() and list(committed.records) == ["pets"]
    assert all(n.metadata["doc_id"] == "pets" for n in committed.chunk_nodes())
