"""What one client has taken in of an index's committed documents: their records, their
chunk nodes (which the retriever looks up) and the BM25 statistics over them.

Where the chunk layer's store scores words itself (Milvus), the client keeps the records
only: the lexical evidence is the store's (:class:`~.word_search.StoreLexical`) and a
chunk node is read from the store when the retriever first looks it up (a batch of them
at once, :meth:`CommittedDocuments.prefetch`), then kept in a bounded cache. Opening the
index then reads no chunk, so it costs the same for any size of corpus.

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
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager

from llama_index.core.schema import BaseNode, TextNode

from .lexical import LexicalIndex, LexicalSearch
from .nodes import INDEX_LAYERS, LAYER_CHUNK, lexical_text, parse_node_id
from .storage.catalog import Catalog, DocumentRecord, KeyedCatalog
from .storage.stores import SearchesWords
from .word_search import StoreLexical

__all__ = ["CommittedDocuments"]

ChunkKey = tuple[str, int]


class CommittedDocuments:
    """The committed records, chunk nodes and BM25 statistics of one index, as this
    client last read them (module docstring).

    Args:
        catalog: the index's catalog.
        reporting: context manager reporting a lost server connection as one line.
        refresh_interval: at most one look at the catalog per this many seconds, unless
            a refresh is forced.
        chunk_store: the chunk layer's store; one that scores words itself, beside a
            catalog that reads chunks by id, has chunks read on demand (module docstring).
        cached_chunks: chunk nodes kept at most, read on demand.
    """

    def __init__(
        self,
        catalog: Catalog,
        reporting: Callable[[], AbstractContextManager[None]],
        refresh_interval: float = 1.0,
        chunk_store: object = None,
        cached_chunks: int = 20_000,
    ) -> None:
        self.catalog = catalog
        self.reporting = reporting
        self.refresh_interval = refresh_interval
        words = chunk_store if isinstance(chunk_store, SearchesWords) else None
        if words is not None and not words.searches_words:
            words = None
        self._keyed = catalog if words is not None and isinstance(catalog, KeyedCatalog) else None
        self.lexical: LexicalSearch = (
            StoreLexical(words, self.version)
            if words is not None and self._keyed is not None
            else LexicalIndex()
        )
        self.cached_chunks = cached_chunks
        self.records: dict[str, DocumentRecord] = {}
        self._chunks: OrderedDict[ChunkKey, TextNode] = OrderedDict()
        self._token: str | None = None
        self._refreshed = 0.0

    def version(self, doc_id: str) -> str | None:
        """The committed version of ``doc_id`` (None when it is not committed)."""
        record = self.records.get(doc_id)
        return None if record is None else record.op

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
            nodes = self.catalog.chunk_nodes(changed) if changed and not self.on_demand else []
        stale = {*gone, *changed}
        for key in [k for k in self._chunks if k[0] in stale]:
            del self._chunks[key]
        if isinstance(self.lexical, LexicalIndex):
            for doc_id in stale:
                self.lexical.remove(doc_id)
            self.lexical.add((_key(node), lexical_text(node)) for node in nodes)
        for node in nodes:
            self._chunks[_key(node)] = node
        self.records = records
        self._token = token
        return bool(changed or gone)

    def chunk_nodes(self) -> list[TextNode]:
        """Every committed chunk node, by document and position (read from the store
        when chunks are read on demand)."""
        if self.on_demand:
            with self.reporting():
                nodes = self.catalog.chunk_nodes({d: r.op for d, r in self.records.items()})
            return sorted(nodes, key=_key)
        return [self._chunks[key] for key in sorted(self._chunks)]

    @property
    def on_demand(self) -> bool:
        """Whether chunks are read from the store when looked up (module docstring)."""
        return self._keyed is not None

    def prefetch(self, keys: Iterable[ChunkKey]) -> None:
        """Read the committed chunks of ``keys`` not yet cached, in one request (nothing to
        do when every chunk is held)."""
        if self._keyed is None:
            return
        wanted = {}
        for key in keys:
            op = self.version(key[0])
            if key not in self._chunks and op is not None:
                wanted[key] = op
        if not wanted:
            return
        with self.reporting():
            nodes = self._keyed.chunk_nodes_by_key(wanted)
        for node in nodes:
            self._chunks[_key(node)] = node
        while len(self._chunks) > self.cached_chunks:
            self._chunks.popitem(last=False)

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
        key = (parsed[0], parsed[2])
        if key not in self._chunks:
            self.prefetch([key])
        node = self._chunks.get(key)
        if node is not None and self.on_demand:
            self._chunks.move_to_end(key)
        return node


def _key(node: BaseNode) -> ChunkKey:
    """``(doc_id, unit)`` of a chunk node."""
    return node.metadata["doc_id"], int(node.metadata["unit"])
