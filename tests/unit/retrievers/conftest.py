"""A memory index of the two test documents (scripted reader, hashed embedding), on disk,
and the storage parts of a new one without the index."""

from __future__ import annotations

import pytest

from mom_micro.retrievers import MemoryIndex
from mom_micro.retrievers.storage.location import index_location
from tests.support.storage import Storage, make_storage


@pytest.fixture
def index(tmp_path, reader, embed, docs) -> MemoryIndex:
    return MemoryIndex.from_documents(docs, tmp_path / "idx", reader=reader, embed_model=embed)


@pytest.fixture
def storage(tmp_path, reader, embed) -> Storage:
    """The parts of a new index in an embedded Chroma folder."""
    return make_storage(index_location(tmp_path / "idx"), reader, embed)
