"""What a memory index knows besides its vectors: its header, its documents, its journal.

A :class:`~mom_micro.retrievers.MemoryIndex` keeps three kinds of records next to the
vector layers:

- the **header**: format and version, the index name, the collections of its layers,
  the embedding model and the memory reader's configuration;
- one **document record** per committed document: its content hash, the operation
  (``op``) whose vectors are the document's current version, the number of vectors per
  layer, and where it came from (``source``);
- one **journal record** per write in progress: which document, which operation, when
  it began and who runs it.

A document is written as a new *version*: its vectors go into every layer under ids that
carry the operation (``node_id@op``), then the document record is switched to that
operation in one record write (the commit), then the older versions are deleted and the
journal record is dropped. Readers only see vectors whose operation is the committed one,
so a document is visible only when all its layers are stored, and a write killed at any
point leaves the previous version in place; the next writer finishes or rolls back what
the journal lists (:meth:`~mom_micro.retrievers.MemoryIndex.recover`).

Stores of these records:

- :class:`ChromaCatalog` -- a small Chroma collection ``mom-<name>-catalog`` beside the
  layers, in the same Chroma (embedded or a server): any client with the address and the
  index name has the whole index. The chunks' texts and metadata come from the chunk
  layer's collection itself. :class:`~mom_micro.retrievers.storage.milvus.MilvusCatalog`
  does the same in Milvus; both are a :class:`KeyedCatalog` (key -> JSON rows).
- :class:`JsonCatalog` -- one JSON file (written atomically) or memory only, for indexes
  on a user's own LlamaIndex vector store, which may not return texts; it keeps the chunk
  nodes too.

Example:
    >>> catalog = JsonCatalog(None)
    >>> catalog.commit(DocumentRecord("a.txt", "h1", "op1", {"chunk": 2}))
    >>> catalog.documents()["a.txt"].op
    'op1'
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from llama_index.core.schema import BaseNode, TextNode
from llama_index.core.vector_stores.utils import metadata_dict_to_node, node_to_metadata_dict
from typing_extensions import override

from mom_micro.files import atomic_write_text

from .errors import IndexDamaged

__all__ = [
    "Catalog",
    "ChromaCatalog",
    "DocumentRecord",
    "IndexDamaged",
    "JsonCatalog",
    "KeyedCatalog",
    "PendingOperation",
    "new_op",
]

#: Chroma returns at most this many records per ``get`` here (SQLite's variable limit).
_PAGE = 2000
#: Documents whose chunks one query asks for.
_DOC_BATCH = 100


def new_op() -> str:
    """A fresh operation id (12 hex digits): the version tag of one document write."""
    return uuid.uuid4().hex[:12]


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class DocumentRecord:
    """One committed document: its hash, the operation of its current vectors, how many
    vectors each layer holds for it, and its source (a file path, when known)."""

    doc_id: str
    hash: str
    op: str
    vectors: dict[str, int] = field(default_factory=dict)
    source: str | None = None
    committed: float = field(default_factory=time.time)

    def to_json(self) -> str:
        """The record as JSON."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> DocumentRecord:
        """Inverse of :meth:`to_json`; a malformed record raises :class:`IndexDamaged`."""
        try:
            data = json.loads(text)
            return cls(
                str(data["doc_id"]),
                str(data["hash"]),
                str(data["op"]),
                {str(k): int(v) for k, v in dict(data.get("vectors") or {}).items()},
                data.get("source"),
                float(data.get("committed", 0.0)),
            )
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise IndexDamaged(f"a document record is unreadable ({exc}): {text[:120]!r}") from exc


@dataclass
class PendingOperation:
    """A write in progress (journal record): ``kind`` is ``"write"`` or ``"delete"``."""

    op: str
    doc_id: str
    kind: str
    started: float = field(default_factory=time.time)
    owner: str = field(default_factory=_owner)

    def to_json(self) -> str:
        """The record as JSON."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> PendingOperation:
        """Inverse of :meth:`to_json`; a malformed record raises :class:`IndexDamaged`."""
        try:
            data = json.loads(text)
            return cls(
                str(data["op"]),
                str(data["doc_id"]),
                str(data["kind"]),
                float(data["started"]),
                str(data["owner"]),
            )
        except (ValueError, TypeError, KeyError) as exc:
            raise IndexDamaged(f"a journal record is unreadable ({exc}): {text[:120]!r}") from exc


class Catalog(ABC):
    """Where an index keeps its header, document records and journal (module docstring).

    Attributes:
        chunks_in_layers: the chunk nodes are read back from the chunk layer's own
            vectors, so that a lost document record can be rebuilt from them.
    """

    chunks_in_layers: bool = False

    @abstractmethod
    def header(self) -> dict[str, Any] | None:
        """The header, or None for a catalog that was never written."""

    @abstractmethod
    def write_header(self, header: Mapping[str, Any]) -> None:
        """Replace the header."""

    @abstractmethod
    def document_texts(self) -> dict[str, str]:
        """The committed documents' records as stored (JSON), by document id."""

    def documents(self) -> dict[str, DocumentRecord]:
        """The committed documents, by id; an unreadable record raises
        :class:`IndexDamaged` naming the document."""
        records, unreadable = self.readable_documents()
        if unreadable:
            doc_id, reason = next(iter(unreadable.items()))
            more = f" (and {len(unreadable) - 1} more)" if len(unreadable) > 1 else ""
            raise IndexDamaged(f"the record of document {doc_id!r} is unreadable{more}: {reason}")
        return records

    def readable_documents(self) -> tuple[dict[str, DocumentRecord], dict[str, str]]:
        """The records that can be read, and ``{doc_id: why}`` for those that cannot
        (a record cut short or overwritten): what a repair works from."""
        records: dict[str, DocumentRecord] = {}
        unreadable: dict[str, str] = {}
        for doc_id, text in self.document_texts().items():
            try:
                records[doc_id] = DocumentRecord.from_json(text)
            except IndexDamaged as exc:
                unreadable[doc_id] = str(exc)
        return records, unreadable

    @abstractmethod
    def commit(self, record: DocumentRecord, chunks: Iterable[BaseNode] = ()) -> None:
        """Make ``record`` the document's committed version (one atomic record write);
        ``chunks`` are its chunk nodes, kept by catalogs whose store cannot return them."""

    @abstractmethod
    def remove(self, doc_id: str) -> None:
        """Drop the document's record (its vectors become invisible at once)."""

    @abstractmethod
    def begin(self, operation: PendingOperation) -> None:
        """Journal a write before any of its vectors is stored."""

    @abstractmethod
    def finish(self, op: str) -> None:
        """Drop a journal record once its write is committed and cleaned up, or rolled back."""

    @abstractmethod
    def pending(self) -> list[PendingOperation]:
        """The journal: writes begun and not finished."""

    @abstractmethod
    def token(self) -> str:
        """Changes whenever a document is committed or removed (readers poll it)."""

    @abstractmethod
    def chunk_nodes(self, versions: Mapping[str, str]) -> list[TextNode]:
        """The chunk nodes of the given ``{doc_id: op}`` versions (canonical node ids)."""


# -- records as keyed rows -------------------------------------------------------------------
_HEADER, _TOKEN, _DOC, _OP = "header", "token", "doc:", "op:"


class KeyedCatalog(Catalog):
    """The records as ``key -> JSON text`` rows of one collection in the database that
    holds the layers (:class:`ChromaCatalog`, and
    :class:`~mom_micro.retrievers.storage.milvus.MilvusCatalog`): the header under
    ``header``, the change token under ``token``, each document under ``doc:<id>`` and
    each journal entry under ``op:<op>``; a row's *kind* is its key up to the colon.
    One row written is one record changed, which is what makes the commit atomic.

    A subclass stores rows (:meth:`_get`, :meth:`_put`, :meth:`_delete`, :meth:`_all`)
    and reads the stored chunk vectors' rows back from its chunk layer
    (:meth:`_chunk_rows`, set as ``chunks``).
    """

    chunks_in_layers = True
    chunks: Any | None = None

    @abstractmethod
    def _chunk_rows(self, doc_ids: list[str]) -> Iterator[tuple[str, str, dict[str, Any], str]]:
        """``(vector id, doc_id, node metadata, text)`` of every chunk vector of ``doc_ids``."""

    @abstractmethod
    def _chunk_rows_by_id(
        self, vector_ids: list[str]
    ) -> Iterator[tuple[str, str, dict[str, Any], str]]:
        """The same of the chunk vectors ``vector_ids`` that exist."""

    @override
    def chunk_nodes(self, versions: Mapping[str, str]) -> list[TextNode]:
        if self.chunks is None:
            raise IndexDamaged("the catalog was opened without its chunk layer")
        nodes: list[TextNode] = []
        doc_ids = sorted(versions)
        for start in range(0, len(doc_ids), _DOC_BATCH):
            rows = self._chunk_rows(doc_ids[start : start + _DOC_BATCH])
            nodes += _versions_nodes(rows, versions)
        return nodes

    def chunk_nodes_by_key(self, keys: Mapping[tuple[str, int], str]) -> list[TextNode]:
        """The chunk nodes of ``{(doc_id, unit): version}`` that are stored (a few chunks
        read by id, where :meth:`chunk_nodes` reads whole documents)."""
        from ..nodes import LAYER_CHUNK, node_id_for, versioned_id

        if self.chunks is None:
            raise IndexDamaged("the catalog was opened without its chunk layer")
        vector_ids = [
            versioned_id(node_id_for(d, LAYER_CHUNK, u), op) for (d, u), op in keys.items()
        ]
        versions = {doc_id: op for (doc_id, _), op in keys.items()}
        return _versions_nodes(self._chunk_rows_by_id(vector_ids), versions) if keys else []

    @staticmethod
    def kind(key: str) -> str:
        """The kind of a row's key: ``header``, ``token``, ``doc`` or ``op``.

        Example:
            >>> KeyedCatalog.kind("doc:a.txt"), KeyedCatalog.kind("header")
            ('doc', 'header')
        """
        return key.split(":", 1)[0]

    @abstractmethod
    def _get(self, keys: list[str]) -> dict[str, str]:
        """``{key: text}`` of those of ``keys`` that are stored."""

    @abstractmethod
    def _put(self, key: str, text: str) -> None:
        """Write one row (replacing it)."""

    @abstractmethod
    def _delete(self, keys: list[str]) -> None:
        """Delete rows (missing ones are no error)."""

    @abstractmethod
    def _all(self, kind: str) -> dict[str, str]:
        """``{key: text}`` of every row of ``kind`` (``doc`` or ``op``), each key
        without its ``kind:`` prefix."""

    @override
    def header(self) -> dict[str, Any] | None:
        text = self._get([_HEADER]).get(_HEADER)
        if text is None:
            return None
        try:
            header = json.loads(text)
        except ValueError as exc:
            raise IndexDamaged(f"the index header is not JSON ({exc})") from exc
        if not isinstance(header, dict):
            raise IndexDamaged("the index header is not a JSON object")
        return header

    @override
    def write_header(self, header: Mapping[str, Any]) -> None:
        self._put(_HEADER, json.dumps(dict(header), ensure_ascii=False))

    @override
    def document_texts(self) -> dict[str, str]:
        return self._all("doc")

    @override
    def commit(self, record: DocumentRecord, chunks: Iterable[BaseNode] = ()) -> None:
        self._put(_DOC + record.doc_id, record.to_json())
        self._put(_TOKEN, new_op())

    @override
    def remove(self, doc_id: str) -> None:
        self._delete([_DOC + doc_id])
        self._put(_TOKEN, new_op())

    @override
    def begin(self, operation: PendingOperation) -> None:
        self._put(_OP + operation.op, operation.to_json())

    @override
    def finish(self, op: str) -> None:
        self._delete([_OP + op])

    @override
    def pending(self) -> list[PendingOperation]:
        return [PendingOperation.from_json(text) for text in self._all("op").values()]

    @override
    def token(self) -> str:
        return self._get([_TOKEN]).get(_TOKEN, "")


# -- Chroma ---------------------------------------------------------------------------------
class ChromaCatalog(KeyedCatalog):
    """The records as documents of a Chroma collection (one-dimensional dummy vectors);
    the chunk nodes come from the chunk layer's collection.

    Args:
        collection: the catalog collection (``mom-<name>-catalog``).
        chunks: the chunk layer's collection, whose records the index wrote with
            LlamaIndex's node serialisation (``_node_content``) and an ``op`` field (set
            once the layers are open).
    """

    def __init__(self, collection: Any, chunks: Any | None) -> None:
        self.collection = collection
        self.chunks = chunks

    @override
    def _get(self, keys: list[str]) -> dict[str, str]:
        found = self.collection.get(ids=keys, include=["documents"])
        return dict(zip(found["ids"], found["documents"], strict=True))

    @override
    def _put(self, key: str, text: str) -> None:
        self.collection.upsert(
            ids=[key],
            embeddings=[[0.0]],
            documents=[text],
            metadatas=[{"kind": self.kind(key)}],
        )

    @override
    def _delete(self, keys: list[str]) -> None:
        self.collection.delete(ids=keys)

    @override
    def _all(self, kind: str) -> dict[str, str]:
        texts: dict[str, str] = {}
        offset = 0
        while True:
            page = self.collection.get(
                where={"kind": kind}, include=["documents"], limit=_PAGE, offset=offset
            )
            for key, text in zip(page["ids"], page["documents"], strict=True):
                texts[key.split(":", 1)[1]] = text
            if len(page["ids"]) < _PAGE:
                return texts
            offset += _PAGE

    @override
    def _chunk_rows(self, doc_ids: list[str]) -> Iterator[tuple[str, str, dict[str, Any], str]]:
        where = {"doc_id": doc_ids[0]} if len(doc_ids) == 1 else {"doc_id": {"$in": doc_ids}}
        offset = 0
        while True:
            page = self.chunks.get(  # type: ignore[union-attr]
                where=where, include=["metadatas", "documents"], limit=_PAGE, offset=offset
            )
            for vector_id, metadata, text in zip(
                page["ids"], page["metadatas"], page["documents"], strict=True
            ):
                yield vector_id, str(metadata.get("doc_id")), metadata, text
            if len(page["ids"]) < _PAGE:
                return
            offset += _PAGE

    @override
    def _chunk_rows_by_id(
        self, vector_ids: list[str]
    ) -> Iterator[tuple[str, str, dict[str, Any], str]]:
        page = self.chunks.get(ids=vector_ids, include=["metadatas", "documents"])  # type: ignore[union-attr]
        for vector_id, metadata, text in zip(
            page["ids"], page["metadatas"], page["documents"], strict=True
        ):
            yield vector_id, str(metadata.get("doc_id")), metadata, text


def _versions_nodes(
    rows: Iterable[tuple[str, str, dict[str, Any], str]], versions: Mapping[str, str]
) -> list[TextNode]:
    """The chunk nodes of ``rows`` that belong to the version ``versions`` gives their
    document (rows of other versions are in flight, or left by a killed write)."""
    from ..nodes import split_versioned_id

    nodes: list[TextNode] = []
    for vector_id, doc_id, metadata, text in rows:
        node_id, op = split_versioned_id(vector_id)
        if versions.get(doc_id) != op:
            continue
        node = metadata_dict_to_node(metadata, text)
        node.id_ = node_id
        node.metadata.pop("op", None)
        nodes.append(node)  # type: ignore[arg-type]
    return nodes


# -- JSON -------------------------------------------------------------------------------------
class JsonCatalog(Catalog):
    """All records, and the committed chunk nodes, in one JSON file written atomically
    after every change (or in memory only with ``path=None``).

    Args:
        path: the JSON file (created on the first write), or None.
    """

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path is not None else None
        self._data: dict[str, Any] = {
            "header": None,
            "documents": {},
            "pending": {},
            "chunks": {},
            "token": "",
        }
        if self.path is not None and self.path.exists():
            self._data = self._read(self.path)

    @staticmethod
    def _read(path: Path) -> dict[str, Any]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexDamaged(f"{path} is unreadable ({exc})") from exc
        if not isinstance(data, dict) or not {"header", "documents", "pending", "chunks"} <= set(
            data
        ):
            raise IndexDamaged(f"{path} is not a mom-micro index catalog")
        return data

    def _write(self) -> None:
        if self.path is not None:
            atomic_write_text(self.path, json.dumps(self._data, ensure_ascii=False))

    @override
    def header(self) -> dict[str, Any] | None:
        header = self._data["header"]
        return dict(header) if header is not None else None

    @override
    def write_header(self, header: Mapping[str, Any]) -> None:
        self._data["header"] = dict(header)
        self._write()

    @override
    def document_texts(self) -> dict[str, str]:
        return dict(self._data["documents"])

    @override
    def commit(self, record: DocumentRecord, chunks: Iterable[BaseNode] = ()) -> None:
        self._data["documents"][record.doc_id] = record.to_json()
        self._data["chunks"][record.doc_id] = [
            {
                "metadata": node_to_metadata_dict(node, remove_text=True, flat_metadata=False),
                "text": node.get_content(),
            }
            for node in chunks
        ]
        self._data["token"] = new_op()
        self._write()

    @override
    def remove(self, doc_id: str) -> None:
        self._data["documents"].pop(doc_id, None)
        self._data["chunks"].pop(doc_id, None)
        self._data["token"] = new_op()
        self._write()

    @override
    def begin(self, operation: PendingOperation) -> None:
        self._data["pending"][operation.op] = operation.to_json()
        self._write()

    @override
    def finish(self, op: str) -> None:
        if self._data["pending"].pop(op, None) is not None:
            self._write()

    @override
    def pending(self) -> list[PendingOperation]:
        return [PendingOperation.from_json(text) for text in self._data["pending"].values()]

    @override
    def token(self) -> str:
        return str(self._data.get("token", ""))

    @override
    def chunk_nodes(self, versions: Mapping[str, str]) -> list[TextNode]:
        nodes: list[TextNode] = []
        for doc_id in versions:
            for item in self._data["chunks"].get(doc_id, []):
                nodes.append(metadata_dict_to_node(item["metadata"], item["text"]))  # type: ignore[arg-type]
        return nodes
