"""The records of an index: header, document records and journal, in Chroma or JSON."""

from __future__ import annotations

import pytest

from mom_micro.retrievers.storage.catalog import (
    DocumentRecord,
    JsonCatalog,
    PendingOperation,
)
from mom_micro.retrievers.storage.errors import IndexDamaged
from mom_micro.retrievers.storage.location import index_location


@pytest.fixture(params=["chroma", "json-file"])
def catalog(request, tmp_path):
    if request.param == "json-file":
        return JsonCatalog(tmp_path / "catalog.json")
    return index_location(tmp_path / "idx").parts("default", create=True).catalog


def test_a_commit_switches_the_record_and_moves_the_token(catalog):
    before = catalog.token()
    catalog.commit(DocumentRecord("a.txt", "h1", "op1", {"chunk": 2}, "/data/a.txt"))
    assert catalog.token() != before
    catalog.commit(DocumentRecord("a.txt", "h2", "op2", {"chunk": 3}))
    [record] = catalog.documents().values()
    assert (record.hash, record.op, record.vectors) == ("h2", "op2", {"chunk": 3})
    moved = catalog.token()
    catalog.remove("a.txt")
    assert catalog.documents() == {} and catalog.token() != moved


def test_the_journal_lists_writes_until_they_finish(catalog):
    catalog.begin(PendingOperation("op1", "a.txt", "write"))
    catalog.begin(PendingOperation("op2", "b.txt", "delete"))
    assert sorted((p.op, p.doc_id, p.kind) for p in catalog.pending()) == [
        ("op1", "a.txt", "write"),
        ("op2", "b.txt", "delete"),
    ]
    catalog.finish("op1")
    catalog.finish("op1")  # twice is harmless
    assert [p.op for p in catalog.pending()] == ["op2"]


def test_the_header_is_replaced_whole(catalog):
    assert catalog.header() is None
    catalog.write_header({"format": "f", "name": "papers"})
    catalog.write_header({"format": "f", "name": "papers", "reader": {"kind": "extractive"}})
    assert catalog.header() == {"format": "f", "name": "papers", "reader": {"kind": "extractive"}}


def test_an_unreadable_record_is_named_and_the_rest_stay_readable(catalog):
    catalog.commit(DocumentRecord("good.txt", "h", "op1", {"chunk": 1}))
    catalog.commit(DocumentRecord("cut.txt", "h", "op2", {"chunk": 1}))
    text = catalog.document_texts()["cut.txt"]
    if isinstance(catalog, JsonCatalog):
        catalog._data["documents"]["cut.txt"] = text[:20]
    else:
        catalog._put("doc:cut.txt", text[:20])
    records, unreadable = catalog.readable_documents()
    assert list(records) == ["good.txt"] and list(unreadable) == ["cut.txt"]
    with pytest.raises(IndexDamaged, match="the record of document 'cut.txt' is unreadable"):
        catalog.documents()


def test_a_json_catalog_outlives_its_process_and_refuses_a_foreign_file(tmp_path):
    path = tmp_path / "catalog.json"
    JsonCatalog(path).commit(DocumentRecord("a.txt", "h", "op1", {"chunk": 1}))
    assert JsonCatalog(path).documents()["a.txt"].op == "op1"
    path.write_text('{"something": "else"}')
    with pytest.raises(IndexDamaged, match="is not a mom-micro index catalog"):
        JsonCatalog(path)
