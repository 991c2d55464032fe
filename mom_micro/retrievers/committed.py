"""What one client has taken in of an index's committed documents: their records, their
chunk nodes (which the retriever looks up) and the BM25 statistics over them.

Other clients of a server index (or other processes writing a folder) commit while this
one reads; :meth:`CommittedDocuments.refresh` takes in their commits when the catalog's
change token moves, reading only the documents whose version changed. The layer stores
ask :meth:`CommittedDocuments.visible` whether a vector belongs to a committed version,
so that a write in flight is never served.

Example:
    .. code-block:: python

        committed = CommittedDocuments(catalog, location.reporting)
        stores.visible = committed.visible
        committed.refresh(force=True)
        committed.get_node(node_id_for("a.txt", "chunk", 0))
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager

from llama_index.core.schema import BaseNode, MetadataMode, TextNode

from .lexical import LexicalIndex
from .nodes import INDEX_LAYERS, LAYER_CHUNK, parse_node_id
from .storage.catalog import Catalog, DocumentRecord

__all__ = ["CommittedDocuments"]


class CommittedDocuments:
    """The committed records, chunk nodes and BM25 statistics of one index, as this
    client last read them (module docstring).

    Args:
        catalog: the index's catalog.
        reporting: context manager reporting a lost server connection as one line.
        refresh_interval: at most one look at the catalog per this many seconds, unless
            a refresh is forced.
    """

    def __init__(
        self,
        catalog: Catalog,
        reporting: Callable[[], AbstractContextManager[None]],
        refresh_interval: float = 1.0,
    ) -> None:
        self.catalog = catalog
        self.reporting = reporting
        self.refresh_interval = refresh_interval
        self.lexical = LexicalIndex()
        self.records: dict[str, DocumentRecord] = {}
        self._chunks: dict[tuple[str, int], TextNode] = {}
        self._token: str | None = None
        self._refreshed = 0.0

    def visible(self, doc_id: str, op: str) -> bool:
        """Whether ``op`` is the committed version of ``doc_id``."""
        record = self.records.get(doc_id)
        return record is not None and record.op == op

    def refresh(self, force: bool = False) -> bool:
        """Take in what was committed since the last look; True when something changed.
        Records that cannot be read are left out (the integrity check reports them)."""
        now = time.monotonic()
        if not force and now - self._refreshed < self.refresh_interval:
            return False
        self._refreshed = now
        with self.reporting():
            token = self.catalog.token()
            if token == self._token and not force:
                return False
            records, _ = self.catalog.readable_documents()
            changed = {d: r.op for d, r in records.items() if not self.visible(d, r.op)}
            gone = [d for d in self.records if d not in records]
            nodes = self.catalog.chunk_nodes(changed) if changed else []
        for doc_id in [*gone, *changed]:
            self.lexical.remove(doc_id)
            for key in [k for k in self._chunks if k[0] == doc_id]:
                del self._chunks[key]
        for node in nodes:
            self._chunks[(node.metadata["doc_id"], int(node.metadata["unit"]))] = node
        self.lexical.add(
            ((node.metadata["doc_id"], int(node.metadata["unit"])), _lexical_text(node))
            for node in nodes
        )
        self.records = records
        self._token = token
        return bool(changed or gone)

    def chunk_nodes(self) -> list[TextNode]:
        """Every committed chunk node, by document and position."""
        return [self._chunks[key] for key in sorted(self._chunks)]

    def layer_counts(self) -> dict[str, int]:
        """How many vectors each layer holds for the committed documents."""
        totals = dict.fromkeys(INDEX_LAYERS, 0)
        for record in self.records.values():
            for layer, count in record.vectors.items():
                totals[layer] = totals.get(layer, 0) + count
        return totals

    def get_node(self, node_id: str) -> BaseNode | None:
        """A committed chunk node by id, or None."""
        parsed = parse_node_id(node_id)
        if parsed is None or parsed[1] != LAYER_CHUNK:
            return None
        return self._chunks.get((parsed[0], parsed[2]))


def _lexical_text(node: BaseNode) -> str:
    """What BM25 indexes of a chunk: its title and text."""
    return node.get_content(metadata_mode=MetadataMode.EMBED)
