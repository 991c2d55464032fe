"""The check before an index is served, and the repair that never destroys what it
cannot account for."""

from __future__ import annotations

from llama_index.core.vector_stores import SimpleVectorStore

from mom_micro.retrievers.storage.integrity import check_index, repair_index
from mom_micro.retrievers.storage.location import index_location
from tests.support.storage import make_storage


def _check(storage):
    return check_index(storage.parts.catalog, storage.parts.stores)


def _repair(storage, drop=False):
    with storage.journal.locked():
        return repair_index(storage.parts.catalog, storage.parts.stores, storage.journal, drop)


def test_a_whole_index_passes(storage, docs):
    storage.write(docs)
    found = _check(storage)
    assert found.ok and found.documents == 2 and str(found) == "2 documents, all whole"


def test_lost_records_are_refused_then_rebuilt_from_the_vectors(storage, docs):
    storage.write(docs)
    counts = storage.parts.stores.vector_counts()
    ops = {doc_id: record.op for doc_id, record in storage.records().items()}
    for doc_id in ops:
        storage.parts.catalog.remove(doc_id)
    found = _check(storage)
    assert not found.ok and set(found.unrecorded) == {"pets", "space"}
    assert "have no record" in str(found)
    report = _repair(storage)
    assert sorted(report.rebuilt) == ["pets", "space"] and report.dropped == {}
    assert {d: r.op for d, r in storage.records().items()} == ops
    assert all(record.hash == "" for record in storage.records().values())  # read again later
    assert storage.parts.stores.vector_counts() == counts and _check(storage).ok
    assert storage.write(docs).updated == ["pets", "space"]  # the next ingest refreshes them


def test_a_damaged_document_is_kept_until_drop_is_given(storage, docs):
    storage.write(docs)
    storage.parts.stores.delete_versions("pets", keep=set())
    storage.parts.catalog.commit(storage.records()["pets"])  # its record still counts vectors
    found = _check(storage)
    assert list(found.damaged) == ["pets"] and "miss vectors" in str(found)
    kept = _repair(storage)
    assert list(kept.kept) == ["pets"] and "--drop deletes them" in str(kept)
    assert "pets" in storage.records()
    dropped = _repair(storage, drop=True)
    assert list(dropped.dropped) == ["pets"] and "pets" not in storage.records()
    assert _check(storage).ok and list(storage.records()) == ["space"]


def test_leftovers_of_superseded_versions_are_harmless_and_repaired(storage, docs):
    storage.write(docs)
    record = storage.records()["pets"]
    node = storage.writer.builder.build([docs[0]]).nodes[0]
    node.embedding = [0.0] * 256
    storage.parts.stores.add([node], "old-version")
    found = _check(storage)
    assert found.ok and found.orphans == 1
    _repair(storage)
    assert _check(storage).orphans == 0 and storage.records()["pets"] == record


def test_a_store_that_cannot_list_its_vectors_keeps_what_it_cannot_rebuild(
    tmp_path, reader, embed, docs
):
    storage = make_storage(
        index_location(tmp_path / "own", vector_store=SimpleVectorStore()), reader, embed
    )
    storage.write(docs)
    found = _check(storage)
    assert found.ok and not found.vectors_checked
    assert "records checked only" in str(found)
