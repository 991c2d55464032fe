"""The writer: plan what to read, read, embed and store each document as one version."""

from __future__ import annotations

import pytest
from llama_index.core import Document

from mom_micro.retrievers.storage.errors import UnknownDocumentError
from mom_micro.retrievers.storage.writer import IngestReport


def test_unchanged_documents_are_skipped_and_changed_ones_replaced(storage, docs, reader):
    first = storage.write(docs)
    assert first.added == ["pets", "space"] and reader.calls == 2
    changed = Document(text=docs[0].text + "\n\nFish\nFish swim.", id_="pets")
    again = storage.write([changed, docs[1]])
    assert (again.updated, again.unchanged, reader.calls) == (["pets"], ["space"], 3)
    record = storage.records()["pets"]
    assert record.hash == changed.hash and record.vectors["chunk"] == 4
    counts = storage.parts.stores.vector_counts()
    assert {op for _, op in counts["chunk"] if _ == "pets"} == {record.op}  # old version gone


def test_a_recorded_document_that_misses_vectors_is_read_again(storage, docs, reader):
    storage.write(docs)
    record = storage.records()["pets"]
    storage.parts.stores.delete_versions("pets", keep=set())  # the vectors are lost
    assert not storage.writer.whole_checker(storage.records())("pets")
    report = storage.write(docs)
    assert report.updated == ["pets"] and report.unchanged == ["space"]
    assert storage.records()["pets"].op != record.op


def test_a_plan_refuses_bad_batches_and_reports_a_clash_of_sources(storage, docs):
    with pytest.raises(ValueError, match="document id 'pets' appears twice in one batch"):
        storage.writer.plan([docs[0], docs[0]], {}, IngestReport())
    with pytest.raises(TypeError, match="expected llama_index Document, got str"):
        storage.writer.plan(["pets"], {}, IngestReport())
    storage.write([Document(text=docs[0].text, id_="pets", metadata={"file_path": "/a/pets"})])
    report = IngestReport()
    other = Document(text="Other text.", id_="pets", metadata={"file_path": "/b/pets"})
    assert storage.writer.plan([other], storage.records(), report) == []
    assert "from /a/pets, not from /b/pets" in report.rejected[0].reason


def test_a_delete_removes_every_layer_and_names_unknown_ids(storage, docs):
    storage.write(docs)
    with storage.journal.locked():
        storage.writer.delete("pets", storage.records(), "default")
        unknown = r"no document 'cats' in index 'default' \(1 documents: 'space'\)"
        with pytest.raises(UnknownDocumentError, match=unknown):
            storage.writer.delete("cats", storage.records(), "default")
    counts = storage.parts.stores.vector_counts()
    assert all(doc_id == "space" for layer in counts.values() for doc_id, _ in layer)
    assert storage.parts.catalog.pending() == []
