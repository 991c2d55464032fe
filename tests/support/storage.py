"""One index's storage parts without a ``MemoryIndex``, to test the storage seam on its own."""

from __future__ import annotations

from dataclasses import dataclass

from mom_micro.retrievers import MemoryNodeBuilder
from mom_micro.retrievers.storage.catalog import DocumentRecord
from mom_micro.retrievers.storage.journal import Journal
from mom_micro.retrievers.storage.location import IndexLocation, IndexParts
from mom_micro.retrievers.storage.writer import IndexWriter, IngestReport


@dataclass
class Storage:
    """A location's parts, journal and writer, and the records as the index would hold them."""

    location: IndexLocation
    parts: IndexParts
    journal: Journal
    writer: IndexWriter

    def records(self) -> dict[str, DocumentRecord]:
        return self.parts.catalog.readable_documents()[0]

    def write(self, documents) -> IngestReport:
        with self.journal.locked():
            return self.writer.write(documents, self.records())


def make_storage(location: IndexLocation, reader, embed, name: str = "default") -> Storage:
    parts = location.parts(name, create=not location.exists(name))
    journal = Journal(parts.catalog, parts.stores, location)
    writer = IndexWriter(
        parts.catalog,
        parts.stores,
        journal,
        MemoryNodeBuilder(reader=reader),
        embed.get_text_embedding_batch,
    )
    return Storage(location, parts, journal, writer)
