"""MemoryIndex on embedded Chroma: persistence, updates, deletes, rejected documents."""

from __future__ import annotations

import json

import chromadb
import pytest
from llama_index.core import Document

from mom_micro.retrievers import (
    MemoryIndex,
    SettingMismatch,
    UnknownDocumentError,
)
from tests.support.retrieval import write_legacy_index


def _ids(results):
    return [r.node.node_id for r in results]


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
        metas = client.get_collection(f"mom-default-{layer}").get()["metadatas"]
        assert metas and {m["doc_id"] for m in metas} == {"space"}
    with pytest.raises(UnknownDocumentError, match="no document 'pets'.*'space'"):
        index.delete("pets")
    reopened = MemoryIndex.load(
        tmp_path / "idx", reader=index.builder.reader, embed_model=index.embed_model
    )
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


def test_same_relative_persist_dir_in_two_working_folders(
    tmp_path, monkeypatch, reader, embed, docs
):
    """Chroma caches clients by the path string: "./idx" from two working folders must
    still be two indexes (a README example run in two folders once crashed Chroma)."""
    for folder, kept in (("a", docs[:1]), ("b", docs[1:])):
        (tmp_path / folder).mkdir()
        monkeypatch.chdir(tmp_path / folder)
        index = MemoryIndex.from_documents(kept, "./idx", reader=reader, embed_model=embed)
        assert index.doc_ids == [kept[0].doc_id]
        assert {r.node.metadata["doc_id"] for r in index.as_retriever().retrieve("cats")} == {
            kept[0].doc_id
        }
    assert MemoryIndex.load(tmp_path / "a" / "idx", embed_model=embed).doc_ids == [docs[0].doc_id]


def test_existing_index_is_not_overwritten(tmp_path, index, reader, embed, docs):
    with pytest.raises(FileExistsError, match="already holds a memory index"):
        MemoryIndex.from_documents(docs, tmp_path / "idx", reader=reader, embed_model=embed)


def test_a_folder_of_format_2_is_migrated_in_place_and_answers_as_before(
    tmp_path, reader, embed, docs
):
    fresh = MemoryIndex.from_documents(docs, tmp_path / "fresh", reader=reader, embed_model=embed)
    write_legacy_index(tmp_path / "old", docs, reader, embed, version=2)
    migrated = MemoryIndex.load(tmp_path / "old", reader=reader, embed_model=embed)
    assert not (tmp_path / "old" / "docstore.json").exists()
    assert json.loads((tmp_path / "old" / "mom_index.json").read_text())["version"] == 3
    assert migrated.doc_ids == ["pets", "space"] and migrated.check().ok
    assert migrated.builder.keep_markup  # read as it was built: tags and all
    for question in ("rockets thrust propellant", "Which animal barks?", "red planet"):
        assert _ids(migrated.as_retriever(similarity_top_k=3).retrieve(question)) == _ids(
            fresh.as_retriever(similarity_top_k=3).retrieve(question)
        )
    assert migrated.add_documents(docs).unchanged == ["pets", "space"]
    changed = Document(text=docs[0].text + "\n\nFish\nFish swim in rivers.", id_="pets")
    assert migrated.add_documents([changed]).updated == ["pets"]
    assert migrated.check().ok and migrated.check().orphans == 0
    again = MemoryIndex.load(tmp_path / "old", reader=reader, embed_model=embed)
    assert _ids(again.as_retriever().retrieve("fish rivers"))[0] == "pets#chunk-3"


@pytest.mark.parametrize("keep_markup", [False, True])
def test_how_markup_is_read_is_kept_for_documents_added_after_reopening(
    tmp_path, reader, embed, docs, keep_markup
):
    MemoryIndex.from_documents(
        docs, tmp_path / "idx", reader=reader, embed_model=embed, keep_markup=keep_markup
    )
    reopened = MemoryIndex.load(tmp_path / "idx", reader=reader, embed_model=embed)
    reopened.insert(Document(text="<P>Owls hunt at <b>night</b> in silence.</P>", id_="owls"))
    [chunk] = [c for c in reopened.chunk_nodes() if c.metadata["doc_id"] == "owls"]
    assert ("<b>" in chunk.text) is keep_markup
    assert "Owls hunt at" in chunk.text and "night" in chunk.text


def test_open_creates_with_the_reading_options_and_refuses_to_change_them(tmp_path, reader, embed):
    page = Document(text="<P>Owls hunt at <b>night</b> in silence.</P>", id_="owls")
    created = MemoryIndex.open(
        tmp_path / "idx", reader=reader, embed_model=embed, keep_markup=True, sentence_probes=False
    )
    created.insert(page)
    assert "<b>" in created.chunk_nodes()[0].text and created.sentence_probes is False
    # reopened with the same choices, or without naming them: the stored ones hold
    for options in ({}, {"keep_markup": True, "sentence_probes": False}):
        again = MemoryIndex.open(tmp_path / "idx", reader=reader, embed_model=embed, **options)
        assert again.builder.keep_markup and again.sentence_probes is False
    with pytest.raises(SettingMismatch, match=r"keep_markup=False \(the index was created with"):
        MemoryIndex.open(tmp_path / "idx", reader=reader, embed_model=embed, keep_markup=False)
    assert [
        c.text for c in MemoryIndex.load(tmp_path / "idx", embed_model=embed).chunk_nodes()
    ] == [c.text for c in created.chunk_nodes()]
