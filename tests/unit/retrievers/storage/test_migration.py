"""Folders of earlier formats are rewritten on disk before a load."""

from __future__ import annotations

import json

import pytest

from mom_micro.memory import describe_reader
from mom_micro.retrievers.storage.errors import IndexNotFound
from mom_micro.retrievers.storage.location import MARKER, VERSION, index_location
from mom_micro.retrievers.storage.migration import LEGACY_DOCSTORE, current_marker
from tests.support.retrieval import write_legacy_index


def test_no_index_there_is_reported_as_such(tmp_path):
    with pytest.raises(IndexNotFound, match="does not exist"):
        current_marker(index_location(tmp_path / "nothing"), dict)
    (tmp_path / "notes").mkdir()
    with pytest.raises(IndexNotFound, match=f"holds no memory index \\({MARKER} missing\\)"):
        current_marker(index_location(tmp_path / "notes"), dict)


@pytest.mark.parametrize("version", [1, 2])
def test_an_old_folder_is_rewritten_before_it_is_read(tmp_path, reader, embed, docs, version):
    folder = tmp_path / "old"
    write_legacy_index(folder, docs, reader, embed, version=version)
    location = index_location(folder)
    marker = current_marker(location, lambda: describe_reader(reader))
    assert marker["version"] == VERSION
    assert json.loads((folder / MARKER).read_text())["version"] == VERSION
    assert not (folder / LEGACY_DOCSTORE).exists()
    parts = location.parts(marker["name"], create=False)
    assert sorted(parts.catalog.documents()) == ["pets", "space"]
    assert parts.header["migrated_from"] == version and parts.header["keep_markup"] is True
    assert current_marker(location, dict) == marker  # a current folder is left as it is
