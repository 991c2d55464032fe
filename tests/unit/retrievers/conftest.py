"""A memory index of the two test documents (scripted reader, hashed embedding), on disk."""

from __future__ import annotations

import pytest

from mom_micro.retrievers import MemoryIndex


@pytest.fixture
def index(tmp_path, reader, embed, docs) -> MemoryIndex:
    return MemoryIndex.from_documents(docs, tmp_path / "idx", reader=reader, embed_model=embed)
