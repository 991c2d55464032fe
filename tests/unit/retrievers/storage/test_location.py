"""Where an index lives: one location object per set of arguments, checked once."""

from __future__ import annotations

import json
import socket

import pytest
from llama_index.core.vector_stores import SimpleVectorStore

from mom_micro.retrievers import ChromaServerUnavailable
from mom_micro.retrievers.storage.errors import IndexDamaged, IndexExists
from mom_micro.retrievers.storage.location import (
    MARKER,
    VERSION,
    ChromaFolder,
    ChromaMemory,
    OwnVectorStore,
    index_location,
    read_marker,
    server_address,
)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("host", "port", "message"),
    [
        ("127.0.0.1", None, "give both chroma_host and chroma_port"),
        (None, 8000, "give both chroma_host and chroma_port"),
        ("127.0.0.1", "http", "must be a port number, not 'http'"),
        ("127.0.0.1", 70000, "between 1 and 65535, not 70000"),
    ],
)
def test_a_server_address_needs_a_host_and_a_real_port(host, port, message):
    with pytest.raises(ValueError, match=message):
        server_address(host, port)


def test_the_arguments_name_one_kind_of_location(tmp_path):
    assert isinstance(index_location(tmp_path / "idx"), ChromaFolder)
    memory = index_location(None)
    assert isinstance(memory, ChromaMemory) and not memory.persistent
    assert memory.lock() is None  # writers of different documents run side by side
    own = index_location(tmp_path / "own", vector_store=SimpleVectorStore())
    assert isinstance(own, OwnVectorStore) and own.persistent
    with pytest.raises(ValueError, match="not persist_dir or vector_store"):
        index_location(tmp_path / "idx", chroma_host="127.0.0.1", chroma_port=8000)


def test_an_unreachable_server_is_reported_once_with_its_address():
    port = _closed_port()
    with pytest.raises(ChromaServerUnavailable, match=f"127.0.0.1:{port}"):
        index_location(chroma_host="127.0.0.1", chroma_port=port, chroma_timeout=1.0)


def test_a_folder_location_holds_one_lock_and_one_client(tmp_path):
    location = index_location(tmp_path / "idx")
    assert location.lock() is location.lock()
    assert location.client() is location.client()


def test_a_new_index_goes_only_into_a_new_or_empty_folder(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("keep me")
    with pytest.raises(IndexExists, match="is not empty and holds no memory index"):
        index_location(tmp_path / "notes").check_new("default")
    location = index_location(tmp_path / "idx")
    location.check_new("default")
    location.parts("default", create=True)
    location.write_marker("default")
    with pytest.raises(IndexExists, match="already holds a memory index"):
        location.check_new("default")


def test_the_marker_is_written_whole_and_read_back(tmp_path):
    location = index_location(tmp_path / "idx")
    location.parts("papers", create=True)
    location.write_marker("papers")
    marker = read_marker(tmp_path / "idx")
    assert marker["name"] == "papers" and marker["version"] == VERSION
    assert marker["store"] == {"kind": "chroma-embedded"}
    assert list((tmp_path / "idx").glob("*.tmp")) == []


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("{not json", "is unreadable"),
        ('{"format": "other"}', "is not a mom-micro index marker"),
        (
            '{"format": "mom-micro-memory-index", "version": 99, "store": {}}',
            "unknown index version 99",
        ),
        (
            '{"format": "mom-micro-memory-index", "version": 3, '
            '"store": {"kind": "my.module:Store"}}',
            "unknown store kind 'my.module:Store'",
        ),
    ],
)
def test_a_damaged_or_foreign_marker_is_refused(tmp_path, marker, message):
    folder = tmp_path / "idx"
    folder.mkdir()
    (folder / MARKER).write_text(marker)
    with pytest.raises(IndexDamaged, match=message):
        read_marker(folder)


def test_a_folder_built_on_a_users_store_asks_for_that_store_again(tmp_path):
    folder = tmp_path / "own"
    location = index_location(folder, vector_store=SimpleVectorStore())
    location.write_marker("default")
    assert json.loads((folder / MARKER).read_text())["store"]["class"] == "SimpleVectorStore"
    with pytest.raises(ValueError, match="pass the same vector_store="):
        index_location(folder)
