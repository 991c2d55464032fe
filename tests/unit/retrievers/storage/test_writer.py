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


def test_groups_read_elsewhere_in_any_order_store_the_same_index(storage, docs, reader):
    """The seam Ray ingest uses: the writer hands its group reader and the groups out
    (as they are planned), and stores each group as it comes back, in whatever order."""
    sent = []

    def read_backwards(group_reader, groups):
        sent.extend(groups)
        return [group_reader(group) for group in reversed(sent)]

    with storage.journal.locked():
        report = storage.writer.write(docs, {}, group_size=1, read_groups=read_backwards)
    assert [[d.id_ for d in g] for g in sent] == [["pets"], ["space"]]
    assert sorted(report.added) == ["pets", "space"] and report.seconds["read"] >= 0
    records = storage.records()
    assert set(records) == {"pets", "space"} and storage.parts.catalog.pending() == []
    assert storage.writer.whole_checker(records)("pets")
    assert storage.write(docs).unchanged == ["pets", "space"]  # a rerun reads nothing


def test_documents_are_planned_and_read_a_group_at_a_time(storage, docs):
    taken = []

    def stream():
        for doc in docs:
            taken.append(doc.id_)
            yield doc

    def read_as_planned(group_reader, groups):
        for group in groups:
            assert taken == [d.id_ for d in docs][: len(taken)] and taken[-1] == group[-1].id_
            yield group_reader(group)

    with storage.journal.locked():
        report = storage.writer.write(stream(), {}, group_size=1, read_groups=read_as_planned)
    assert sorted(report.added) == ["pets", "space"]
    with storage.journal.locked(), pytest.raises(ValueError, match="appears twice"):
        storage.writer.write(iter([docs[0], docs[0]]), {}, group_size=1)


def test_a_failing_group_reader_leaves_the_groups_stored_before_it(storage, docs):
    def fail_second(group_reader, groups):
        yield group_reader(next(iter(groups)))
        raise RuntimeError("worker failed")

    with storage.journal.locked(), pytest.raises(RuntimeError, match="worker failed"):
        storage.writer.write(docs, {}, group_size=1, read_groups=fail_second)
    assert set(storage.records()) == {"pets"} and storage.parts.catalog.pending() == []
