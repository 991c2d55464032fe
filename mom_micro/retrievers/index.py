"""``MemoryIndex``: the three memory layers (and the chunks' sentence probes) of many
documents, with their records, in Chroma or any LlamaIndex vector store.

An index is a **name in a store**. Its vectors live in one collection per layer and its
records -- header, documents, journal (:mod:`mom_micro.retrievers.catalog`) -- beside
them, so that:

- **embedded** (the default): a folder holds a Chroma database (``chroma/``) and a small
  marker file; ``MemoryIndex.open("./idx")`` reopens it;
- **a Chroma server** holds everything: any client with the host, the port and the index
  name can query, insert and delete (``MemoryIndex.open(index_name="papers",
  chroma_host=..., chroma_port=...)``), and indexes of other names never share a
  collection;
- **a user's own LlamaIndex vector store** (``vector_store=``) keeps the vectors, and a
  JSON catalog in the folder (or in memory) the records and the chunk texts.

Writes are journaled (the catalog's module docstring): a document becomes visible only
when all its layers are stored, an interrupted write is finished or rolled back by the
next writer (:meth:`MemoryIndex.recover`), and re-ingesting compares what is stored, not
just the hash. In a folder, one process writes at a time (a file lock, ``filelock``);
a second writer waits up to ``lock_timeout`` seconds, then is refused. On a server,
writers of different documents run side by side.

Opening checks that the records and the vector layers agree; a damaged index is
refused with one line that says what is damaged and how to repair it
(:meth:`MemoryIndex.repair`, ``mom-micro repair``). Folders written by earlier versions
(``docstore.json``) are migrated on first open.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import BaseNode, Document, MetadataMode, TextNode
from llama_index.core.vector_stores.types import BasePydanticVectorStore

from mom_micro.errors import MomMicroError
from mom_micro.files import atomic_write_text
from mom_micro.memory import DocumentMemory, MemoryExtractor, describe_reader

from .catalog import (
    Catalog,
    ChromaCatalog,
    DocumentRecord,
    IndexDamaged,
    JsonCatalog,
    PendingOperation,
    new_op,
)
from .chroma import (
    check_index_name,
    collection_name,
    connect_chroma_server,
    ephemeral_client,
    open_chroma_path,
    reporting_server_errors,
)
from .embedding import default_embed_model
from .lexical import LexicalIndex
from .nodes import (
    INDEX_LAYERS,
    LAYER_CHUNK,
    BuiltNodes,
    MemoryNodeBuilder,
    RejectedDocument,
    default_reader,
    parse_node_id,
)
from .probes import sentence_probes
from .readers import reader_from, same_reader
from .retriever import ThreeLayerRetriever
from .stores import LayerStores

__all__ = [
    "IndexBusy",
    "IndexCheck",
    "IndexDamaged",
    "IndexExists",
    "IndexNotFound",
    "IngestReport",
    "MemoryIndex",
    "ReaderMismatch",
    "SettingMismatch",
    "UnknownDocumentError",
]

logger = logging.getLogger(__name__)

MARKER = "mom_index.json"
CHROMA_FOLDER = "chroma"
CATALOG_FILE = "catalog.json"
LOCK_FILE = ".mom_index.lock"
LEGACY_DOCSTORE = "docstore.json"
FORMAT = "mom-micro-memory-index"
#: 3: records in the store (catalog), versioned vectors, journaled writes.
VERSION = 3
DEFAULT_NAME = "default"

#: The journaled writes this process is running now (never recovered from under it).
_ACTIVE: set[str] = set()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class UnknownDocumentError(MomMicroError, KeyError):
    """No document with this id is in the index."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else "unknown document"


class IndexNotFound(MomMicroError, FileNotFoundError):
    """No index at this folder, or of this name on this server."""


class IndexExists(MomMicroError, FileExistsError):
    """An index is already there; open it instead of creating one."""


class IndexBusy(MomMicroError, RuntimeError):
    """Another process holds the folder's write lock longer than ``lock_timeout``."""


class ReaderMismatch(MomMicroError, ValueError):
    """The memory reader given is not the one the index was built with (or none is
    given for a reader that cannot be rebuilt from its description)."""


class SettingMismatch(MomMicroError, ValueError):
    """An option that is fixed when an index is created (``keep_markup``,
    ``sentence_probes``) was given with another value than the stored one."""


#: The options of :meth:`MemoryIndex.create` that are stored with the index and cannot
#: change afterwards: every document must be read and probed the same way.
FIXED_SETTINGS = ("keep_markup", "sentence_probes")


@dataclass
class IngestReport:
    """What one ingest did: documents added, re-read (changed), skipped (unchanged),
    rejected; memory nodes and sentence probes stored; the memories read."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[RejectedDocument] = field(default_factory=list)
    nodes: int = 0
    probes: int = 0
    memories: dict[str, DocumentMemory] = field(default_factory=dict, repr=False)
    seconds: dict[str, float] = field(default_factory=dict)

    def time(self, stage: str, began: float) -> None:
        """Add the seconds since ``began`` (``time.perf_counter``) to ``stage``: ``read``
        (the memory reader), ``embed``, ``store`` (vectors and records), ``index`` (BM25
        statistics and the chunk cache)."""
        self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - began

    def __str__(self) -> str:
        text = (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {self.nodes} nodes, "
            f"{self.probes} sentence probes"
        )
        if self.rejected:
            text += "; rejected: " + "; ".join(f"{r.doc_id}: {r.reason}" for r in self.rejected)
        return text


@dataclass
class IndexCheck:
    """What :meth:`MemoryIndex.check` found: documents whose vectors are missing (with
    what is missing), stored vectors of no committed version (orphans), writes pending."""

    documents: int
    damaged: dict[str, str] = field(default_factory=dict)
    orphans: int = 0
    pending: int = 0
    vectors_checked: bool = True

    @property
    def ok(self) -> bool:
        """No committed document misses a vector."""
        return not self.damaged

    def __str__(self) -> str:
        if self.ok:
            text = f"{self.documents} documents, all whole"
        else:
            shown = "; ".join(f"{d}: {what}" for d, what in list(self.damaged.items())[:3])
            more = " ..." if len(self.damaged) > 3 else ""
            text = f"{len(self.damaged)} of {self.documents} documents miss vectors ({shown}{more})"
        if self.orphans:
            text += f"; {self.orphans} vectors of no committed version"
        if self.pending:
            text += f"; {self.pending} writes pending"
        if not self.vectors_checked:
            text += " (this vector store cannot list its vectors: records checked only)"
        return text


class MemoryIndex:
    """The outline, core-content and chunk layers of many documents, searchable.

    Every sentence of every chunk is also embedded as a probe in a fourth vector layer
    (:mod:`mom_micro.retrievers.probes`). Where the index lives, how writes stay whole and
    how a damaged index is reported: see the module docstring.

    Setup:
        .. code-block:: python

            from llama_index.core import Document
            from mom_micro.retrievers import MemoryIndex

            docs = [Document(text=open(p).read(), id_=p) for p in paths]
            index = MemoryIndex.from_documents(docs, persist_dir="./mom_index")
            index = MemoryIndex.open("./mom_index")              # later: no re-embedding
            index = MemoryIndex.open(index_name="papers", chroma_host="127.0.0.1",
                                     chroma_port=8000)           # a shared server index

    Example:
        .. code-block:: python

            report = index.insert(Document(text=new_text, id_="new.txt"))
            index.delete("old.txt")                 # every layer, probes included
            nodes = index.as_retriever(similarity_top_k=4).retrieve("what causes it?")

    Key params:
        reader: the memory reader (default: offline ``ExtractiveExtractor``); stored with
            the index and rebuilt on open when it is the extractive one.
        embed_model: LlamaIndex embedding (default: bundled MiniLM).
        chroma_timeout: seconds before an unreachable Chroma server is reported.
        lock_timeout: seconds a folder writer waits for another writer.
    """

    def __init__(
        self,
        stores: LayerStores,
        catalog: Catalog,
        name: str,
        *,
        embed_model: BaseEmbedding | None = None,
        builder: MemoryNodeBuilder | None = None,
        persist_dir: Path | None = None,
        server: tuple[str, int] | None = None,
        lock_timeout: float = 600.0,
        stale_after: float = 3600.0,
        refresh_interval: float = 1.0,
    ) -> None:
        self.stores = stores
        self.catalog = catalog
        self.name = name
        self._embed_model = embed_model
        self.builder = builder or MemoryNodeBuilder()
        self.persist_dir = persist_dir
        self.server = server
        self.lock_timeout = lock_timeout
        self.stale_after = stale_after
        self.refresh_interval = refresh_interval
        self.lexical = LexicalIndex()
        self.sentence_probes = True
        self.last_report: IngestReport | None = None
        self._versions: dict[str, str] = {}
        self._records: dict[str, DocumentRecord] = {}
        self._chunks: dict[tuple[str, int], TextNode] = {}
        self._token: str | None = None
        self._refreshed = 0.0
        self._lock = None
        if persist_dir is not None:
            from filelock import FileLock

            self._lock = FileLock(str(persist_dir / LOCK_FILE))
        stores.visible = self._visible
        self.refresh(force=True)

    @property
    def embed_model(self) -> BaseEmbedding:
        """The embedding model (the bundled MiniLM is loaded on first use, so that opening
        and checking an index costs no model load)."""
        if self._embed_model is None:
            self._embed_model = default_embed_model()
        return self._embed_model

    # -- where an index lives -------------------------------------------------------------------
    @staticmethod
    def _chroma_client(
        persist_dir: Path | None, host: str | None, port: int | None, timeout: float
    ) -> Any:
        if host is not None:
            return connect_chroma_server(host, int(port), timeout=timeout)  # type: ignore[arg-type]
        if persist_dir is not None:
            database = persist_dir / CHROMA_FOLDER / "chroma.sqlite3"
            try:
                return open_chroma_path(persist_dir / CHROMA_FOLDER)
            except Exception as exc:  # a damaged SQLite file fails inside chromadb
                raise IndexDamaged(
                    f"{persist_dir}: the Chroma database {database} could not be opened "
                    f"({type(exc).__name__}: {exc}); remove the folder and ingest the "
                    "documents again"
                ) from exc
        return ephemeral_client()

    @staticmethod
    def _chroma_parts(
        client: Any,
        name: str,
        layers: Mapping[str, str] | None,
        *,
        server: tuple[str, int] | None,
        create: bool,
        where: str,
    ) -> tuple[LayerStores, ChromaCatalog, dict[str, Any] | None]:
        """The layers and the catalog of index ``name`` in a Chroma ``client``, and its
        header. ``layers`` None: the header says which collections hold the layers."""
        with reporting_server_errors(server):
            catalog_name = collection_name(name, "catalog")
            try:
                collection = (
                    client.get_or_create_collection(catalog_name)
                    if create
                    else client.get_collection(catalog_name)
                )
            except Exception as exc:
                if create or type(exc).__name__ != "NotFoundError":
                    raise
                raise IndexNotFound(f"{where}: no memory index named {name!r}") from exc
            catalog = ChromaCatalog(collection, None)
            header = catalog.header()
            if layers is None:
                if header is None:
                    raise IndexDamaged(
                        f"{where}: the records of index {name!r} are missing (its Chroma "
                        "database was removed or replaced?); remove the index and ingest "
                        "the documents again"
                    )
                layers = header.get("layers") or {
                    layer: collection_name(name, layer) for layer in INDEX_LAYERS
                }
            try:
                stores = LayerStores.from_chroma(client, layers, server=server, create=create)
            except Exception as exc:
                if create or type(exc).__name__ != "NotFoundError":
                    raise
                raise IndexDamaged(
                    f"{where}: index {name!r} lost a layer's collection "
                    f"({exc}); remove the index and ingest the documents "
                    "again"
                ) from exc
        catalog.chunks = stores.store(LAYER_CHUNK).client
        return stores, catalog, header

    @staticmethod
    def _read_marker(folder: Path) -> dict[str, Any]:
        marker = folder / MARKER
        try:
            data = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexDamaged(
                f"{marker} is unreadable ({exc}); it marks a memory index: "
                "restore it or remove the folder and ingest again"
            ) from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise IndexDamaged(
                f"{marker} is not a mom-micro index marker (format "
                f"{data.get('format') if isinstance(data, dict) else data!r})"
            )
        version = data.get("version", 1)
        if not isinstance(version, int) or not 1 <= version <= VERSION:
            raise IndexDamaged(
                f"{marker}: unknown index version {version!r} (this mom-micro "
                f"reads versions 1 to {VERSION})"
            )
        if not isinstance(data.get("store"), dict):
            raise IndexDamaged(f"{marker} has no 'store' description")
        return data

    def _write_marker(self, store: Mapping[str, Any]) -> None:
        if self.persist_dir is None:
            return
        atomic_write_text(
            self.persist_dir / MARKER,
            json.dumps(
                {"format": FORMAT, "version": VERSION, "name": self.name, "store": dict(store)},
                indent=1,
            ),
        )

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        persist_dir: str | Path | None = None,
        *,
        index_name: str | None = None,
        reader: MemoryExtractor | None = None,
        embed_model: BaseEmbedding | None = None,
        vector_store: Mapping[str, BasePydanticVectorStore] | BasePydanticVectorStore | None = None,
        chroma_host: str | None = None,
        chroma_port: int | None = None,
        chroma_timeout: float = 5.0,
        lock_timeout: float = 600.0,
        sentence_probes: bool = True,
        keep_markup: bool = False,
    ) -> MemoryIndex:
        """An empty index (see :meth:`from_documents` for the arguments).

        Raises:
            IndexExists: the folder already holds an index, or the server an index of
                this name.
        """
        if (chroma_host is None) != (chroma_port is None):
            raise ValueError("give both chroma_host and chroma_port for a Chroma server")
        if chroma_host is not None and persist_dir is not None:
            raise ValueError(
                "a server index lives on the server: give chroma_host, "
                "chroma_port and index_name, not persist_dir"
            )
        folder = Path(persist_dir).resolve() if persist_dir is not None else None
        if folder is not None:
            if (folder / MARKER).exists():
                raise IndexExists(
                    f"{folder} already holds a memory index: open it with "
                    f"MemoryIndex.open({str(folder)!r}) and insert() into it"
                )
            if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
                raise IndexExists(
                    f"{folder} is not empty and holds no memory index "
                    f"({MARKER} missing): choose an empty or new folder"
                )
            folder.mkdir(parents=True, exist_ok=True)
        if index_name is None:
            index_name = DEFAULT_NAME if (folder or chroma_host) else f"mem-{new_op()}"
        name = check_index_name(index_name)
        server = (chroma_host, int(chroma_port)) if chroma_host is not None else None  # type: ignore[arg-type]
        where = f"{chroma_host}:{chroma_port}" if server else str(folder or "memory")
        client = (
            None
            if vector_store is not None
            else cls._chroma_client(folder, chroma_host, chroma_port, chroma_timeout)
        )
        if client is not None and server is not None:
            from .chroma import index_names

            with reporting_server_errors(server):
                if name in index_names(client):
                    raise IndexExists(
                        f"{where} already has an index named {name!r}: open it "
                        "(MemoryIndex.open / mom-micro ingest adds to it)"
                    )
        if vector_store is not None:
            path = folder / CATALOG_FILE if folder is not None else None
            stores: LayerStores = LayerStores(vector_store)
            catalog: Catalog = JsonCatalog(path)
        else:
            layers = {layer: collection_name(name, layer) for layer in INDEX_LAYERS}
            stores, catalog, _ = cls._chroma_parts(
                client, name, layers, server=server, create=True, where=where
            )
        reader = reader or default_reader()
        header = {
            "format": FORMAT,
            "version": VERSION,
            "name": name,
            "created": time.time(),
            "layers": (
                {layer: collection_name(name, layer) for layer in INDEX_LAYERS}
                if vector_store is None
                else None
            ),
            "reader": describe_reader(reader),
            "sentence_probes": bool(sentence_probes),
            "keep_markup": bool(keep_markup),
        }
        index = cls(
            stores,
            catalog,
            name,
            embed_model=embed_model,
            builder=MemoryNodeBuilder(reader=reader, keep_markup=bool(keep_markup)),
            persist_dir=folder,
            server=server,
            lock_timeout=lock_timeout,
        )
        index.sentence_probes = bool(sentence_probes)
        header["embed_model"] = (
            getattr(embed_model, "model_name", None)
            if embed_model is not None
            else "all-MiniLM-L6-v2 (bundled)"
        )
        with index._writing(recover=False):
            with reporting_server_errors(server):
                catalog.write_header(header)
            store = (
                {"kind": "vector-store", "class": type(vector_store).__name__}
                if vector_store is not None
                else {"kind": "chroma-embedded"}
            )
            index._write_marker(store)
        return index

    @classmethod
    def from_documents(
        cls,
        documents: Sequence[Document],
        persist_dir: str | Path | None = None,
        *,
        index_name: str | None = None,
        reader: MemoryExtractor | None = None,
        embed_model: BaseEmbedding | None = None,
        vector_store: Mapping[str, BasePydanticVectorStore] | BasePydanticVectorStore | None = None,
        chroma_host: str | None = None,
        chroma_port: int | None = None,
        chroma_timeout: float = 5.0,
        sentence_probes: bool = True,
        keep_markup: bool = False,
        show_progress: bool = False,
    ) -> MemoryIndex:
        """Read, embed and store ``documents``; the report of the ingest is ``index.last_report``.

        Args:
            documents: LlamaIndex ``Document`` s; ``id_`` is the document id.
            persist_dir: folder for the index (new or empty); None keeps it in memory
                (or on the server).
            index_name: the index's name (default ``"default"``; one per folder; on a
                server, the name other clients open it by).
            reader: memory reader (default: the offline ``ExtractiveExtractor``).
            embed_model: LlamaIndex embedding model (default: bundled MiniLM).
            vector_store: a LlamaIndex vector store, or ``{layer: store}``, instead of Chroma.
            chroma_host: put the index on the Chroma server on this host ...
            chroma_port: ... and this port.
            chroma_timeout: seconds before an unreachable server raises.
            sentence_probes: embed every sentence of every chunk as a probe (about three
                per chunk: roughly one more embedding pass over the text than the chunks
                alone, and the sentence view of the fusion; False skips them for a
                cheaper ingest, see docs/benchmarks.md).
            keep_markup: let the reader read HTML tags as words (False, the default: a tag
                is read as the white space it renders as,
                :func:`~mom_micro.text.blank_markup`; a chunk is then the span of the
                page with its tags blanked, at the original's offsets). Kept in the
                index, so that documents added later are read the same way.
            show_progress: a progress bar over the documents.
        """
        index = cls.create(
            persist_dir,
            index_name=index_name,
            reader=reader,
            embed_model=embed_model,
            vector_store=vector_store,
            chroma_host=chroma_host,
            chroma_port=chroma_port,
            chroma_timeout=chroma_timeout,
            sentence_probes=sentence_probes,
            keep_markup=keep_markup,
        )
        index.add_documents(documents, show_progress=show_progress)
        return index

    @classmethod
    def load(
        cls,
        persist_dir: str | Path | None = None,
        *,
        index_name: str | None = None,
        reader: MemoryExtractor | None = None,
        replace_reader: bool = False,
        embed_model: BaseEmbedding | None = None,
        vector_store: Mapping[str, BasePydanticVectorStore] | BasePydanticVectorStore | None = None,
        chroma_host: str | None = None,
        chroma_port: int | None = None,
        chroma_timeout: float = 5.0,
        lock_timeout: float = 600.0,
        check: bool = True,
    ) -> MemoryIndex:
        """Reopen an index (a folder, or a name on a Chroma server); nothing is re-embedded.

        The reader the index was built with is restored (the extractive one is rebuilt
        from its stored settings); passing another one raises :class:`ReaderMismatch`
        unless ``replace_reader`` is True. With ``check`` the records and the vectors are
        compared first (:meth:`check`).

        Raises:
            IndexNotFound: no index there.
            IndexDamaged: the index is damaged (the message says how to repair it).
        """
        if (chroma_host is None) != (chroma_port is None):
            raise ValueError("give both chroma_host and chroma_port for a Chroma server")
        server = (chroma_host, int(chroma_port)) if chroma_host is not None else None  # type: ignore[arg-type]
        folder = Path(persist_dir).resolve() if persist_dir is not None else None
        if server is None and folder is None:
            raise ValueError("give the index folder, or chroma_host and chroma_port")
        if folder is not None:
            if not (folder / MARKER).is_file():
                what = (
                    "does not exist"
                    if not folder.exists()
                    else f"holds no memory index ({MARKER} missing)"
                )
                raise IndexNotFound(f"{folder} {what}")
            marker = cls._read_marker(folder)
            if marker["version"] < VERSION:
                return cls._migrate(folder, marker, reader, embed_model, vector_store, lock_timeout)
            name = check_index_name(index_name or marker.get("name") or DEFAULT_NAME)
            kind = marker["store"].get("kind")
            if kind == "vector-store" and vector_store is None:
                raise ValueError(
                    f"{folder} was built on a user-supplied vector store "
                    f"({marker['store'].get('class')}); pass the same "
                    "vector_store= to MemoryIndex.load"
                )
            where = str(folder)
        else:
            name = check_index_name(index_name or DEFAULT_NAME)
            where = f"{chroma_host}:{chroma_port}"
        if vector_store is not None:
            stores: LayerStores = LayerStores(vector_store)
            catalog: Catalog = JsonCatalog(folder / CATALOG_FILE if folder is not None else None)
            header = catalog.header()
        else:
            client = cls._chroma_client(
                folder if server is None else None, chroma_host, chroma_port, chroma_timeout
            )
            try:
                stores, catalog, header = cls._chroma_parts(
                    client, name, None, server=server, create=False, where=where
                )
            except IndexNotFound as exc:
                if folder is None:
                    raise
                raise IndexDamaged(
                    f"{folder}: its marker names index {name!r}, but the Chroma database "
                    f"under {folder / CHROMA_FOLDER} holds no such index (removed or "
                    "replaced?); remove the folder and ingest the documents again"
                ) from exc
        if header is None or header.get("format") != FORMAT:
            raise IndexDamaged(
                f"{where}: index {name!r} has no mom-micro header (format "
                f"{header.get('format') if header else None!r})"
            )
        index = cls(
            stores,
            catalog,
            name,
            embed_model=embed_model,
            builder=MemoryNodeBuilder(reader=None),
            persist_dir=folder,
            server=server,
            lock_timeout=lock_timeout,
        )
        index.sentence_probes = bool(header.get("sentence_probes", True))
        # an index from before markup was blanked read its documents with their tags
        index.builder.keep_markup = bool(header.get("keep_markup", True))
        index._restore_reader(header, reader, replace_reader)
        index._recover_if_idle()
        if check:
            report = index.check()
            if not report.ok:
                command = (
                    f"mom-micro repair --index {folder}"
                    if folder is not None
                    else f"mom-micro repair --chroma-host {chroma_host} --chroma-port "
                    f"{chroma_port} --index-name {name}"
                )
                raise IndexDamaged(
                    f"{where}: index {name!r} is damaged: {report}; "
                    f"`{command}` drops those documents so that they can be "
                    "ingested again"
                )
        return index

    @classmethod
    def open(cls, persist_dir: str | Path | None = None, **options: Any) -> MemoryIndex:
        """The index at ``persist_dir`` (or of ``index_name`` on the server): reopened
        with :meth:`load` when it exists, else created empty with :meth:`create`
        (``options`` go to whichever runs).

        How the index reads (``keep_markup``, ``sentence_probes``) is fixed when it is
        created and stored with it: given to ``open`` on an index that exists, each must
        agree with the stored choice, or :class:`SettingMismatch` says which differs.

        Example:
            .. code-block:: python

                index = MemoryIndex.open("./mom_index")
                index.add_documents(docs)        # unchanged documents are skipped
        """
        settings = {key: options.pop(key) for key in FIXED_SETTINGS if key in options}
        host, port = options.get("chroma_host"), options.get("chroma_port")
        if persist_dir is not None:
            exists = (Path(persist_dir) / MARKER).is_file()
        elif host is not None:
            from .chroma import index_names

            client = connect_chroma_server(
                host,
                int(port),  # type: ignore[arg-type]
                timeout=options.get("chroma_timeout", 5.0),
            )
            with reporting_server_errors((host, int(port))):  # type: ignore[arg-type]
                exists = (options.get("index_name") or DEFAULT_NAME) in index_names(client)
        else:
            exists = False
        if exists:
            index = cls.load(persist_dir, **options)
            index._check_settings(settings)
            return index
        allowed = {
            "index_name",
            "reader",
            "embed_model",
            "vector_store",
            "chroma_host",
            "chroma_port",
            "chroma_timeout",
            "lock_timeout",
        }
        created = {k: v for k, v in options.items() if k in allowed}
        return cls.create(persist_dir, **created, **settings)

    def _check_settings(self, settings: Mapping[str, Any]) -> None:
        """Raise :class:`SettingMismatch` when ``settings`` (``keep_markup``,
        ``sentence_probes``) differ from the ones this index was created with."""
        stored = {"keep_markup": self.builder.keep_markup, "sentence_probes": self.sentence_probes}
        differ = [
            f"{key}={bool(value)} (the index was created with {key}={stored[key]})"
            for key, value in settings.items()
            if bool(value) != stored[key]
        ]
        if differ:
            raise SettingMismatch(
                f"index {self.name!r} opened with {'; '.join(differ)}; every document of an "
                "index is read the same way: open it without the option, or build a new index"
            )

    # -- the reader ---------------------------------------------------------------------------
    def _restore_reader(
        self, header: Mapping[str, Any], reader: MemoryExtractor | None, replace: bool
    ) -> None:
        stored = header.get("reader")
        self.stored_reader: dict[str, Any] | None = dict(stored) if stored else None
        if reader is None:
            self.builder.reader = reader_from(stored)
            return
        given = describe_reader(reader)
        if stored and not same_reader(stored, given) and not replace and self._records:
            raise ReaderMismatch(
                f"index {self.name!r} was built with the reader {stored.get('kind')!r}, not "
                f"{given.get('kind')!r} ({given.get('class', given.get('model'))}); pass "
                "the same reader, or replace_reader=True to read new documents with this one"
            )
        self.builder.reader = reader
        if not stored or replace:
            with self._writing(recover=False), reporting_server_errors(self.server):
                self.catalog.write_header({**header, "reader": given})
            self.stored_reader = given

    def _require_reader(self) -> None:
        if self.builder.reader is None:
            stored = self.stored_reader or {}
            raise ReaderMismatch(
                f"index {self.name!r} was built with the reader {stored.get('kind')!r} "
                f"({stored.get('class', stored.get('model', ''))}), which cannot be rebuilt from its description: "
                "pass the same reader (reader=...) to open the index for adding documents"
            )

    # -- records in memory ---------------------------------------------------------------------
    def _visible(self, doc_id: str, op: str) -> bool:
        return self._versions.get(doc_id) == op

    def refresh(self, force: bool = False) -> bool:
        """Take in what other clients committed since the last look (at most every
        ``refresh_interval`` seconds unless ``force``); True when something changed."""
        now = time.monotonic()
        if not force and now - self._refreshed < self.refresh_interval:
            return False
        self._refreshed = now
        with reporting_server_errors(self.server):
            token = self.catalog.token()
            if token == self._token and not force:
                return False
            records = self.catalog.documents()
            changed = {d: r.op for d, r in records.items() if self._versions.get(d) != r.op}
            gone = [d for d in self._versions if d not in records]
            nodes = self.catalog.chunk_nodes(changed) if changed else []
        for doc_id in [*gone, *changed]:
            self.lexical.remove(doc_id)
            for key in [k for k in self._chunks if k[0] == doc_id]:
                del self._chunks[key]
        for node in nodes:
            self._chunks[(node.metadata["doc_id"], int(node.metadata["unit"]))] = node
        self.lexical.add(self._lexical_chunks(nodes))
        self._records = records
        self._versions = {d: r.op for d, r in records.items()}
        self._token = token
        return bool(changed or gone)

    @staticmethod
    def _lexical_chunks(nodes: Sequence[BaseNode]) -> Iterator[tuple[tuple[str, int], str]]:
        """``((doc_id, unit), title + text)`` of the chunk nodes, for BM25."""
        for node in nodes:
            key = (node.metadata["doc_id"], int(node.metadata["unit"]))
            yield key, node.get_content(metadata_mode=MetadataMode.EMBED)

    # -- contents -----------------------------------------------------------------------------
    @property
    def doc_ids(self) -> list[str]:
        """Ids of the documents in the index."""
        return sorted(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def document(self, doc_id: str) -> DocumentRecord | None:
        """The committed record of ``doc_id`` (hash, version, vector counts, source)."""
        return self._records.get(doc_id)

    def chunk_nodes(self) -> list[TextNode]:
        """Every committed chunk node, by document and position."""
        return [self._chunks[key] for key in sorted(self._chunks)]

    def layer_counts(self) -> dict[str, int]:
        """How many vectors each layer holds for the committed documents."""
        totals = dict.fromkeys(INDEX_LAYERS, 0)
        for record in self._records.values():
            for layer, count in record.vectors.items():
                totals[layer] = totals.get(layer, 0) + count
        return totals

    def get_node(self, node_id: str) -> BaseNode | None:
        """A committed chunk node by id, or None."""
        parsed = parse_node_id(node_id)
        if parsed is None or parsed[1] != LAYER_CHUNK:
            return None
        return self._chunks.get((parsed[0], parsed[2]))

    # -- writing ------------------------------------------------------------------------------
    @contextmanager
    def _writing(self, recover: bool = True) -> Iterator[None]:
        """Hold the folder's write lock (if any), recover interrupted writes, refresh."""
        lock = self._lock if self._lock is not None else nullcontext()
        if self._lock is not None:
            from filelock import Timeout

            try:
                self._lock.acquire(timeout=0.05)
            except Timeout:
                logger.warning(
                    "%s: waiting for another process writing to this index", self.persist_dir
                )
                try:
                    self._lock.acquire(timeout=self.lock_timeout)
                except Timeout as exc:
                    raise IndexBusy(
                        f"{self.persist_dir}: another process has been writing to this index "
                        f"for over {self.lock_timeout:.0f} s (lock {self._lock.lock_file}); "
                        "wait for it, or run one writer at a time"
                    ) from exc
            lock = self._lock
        try:
            with lock:
                if recover:
                    self.recover()
                self.refresh(force=True)
                yield
        finally:
            if self._lock is not None:
                self._lock.release()

    def _recover_if_idle(self) -> None:
        """On open: finish what a killed writer left, if no writer is at work now."""
        if self._lock is None and self.server is None:
            return  # in memory: nothing outlives the process
        with reporting_server_errors(self.server):
            pending = self.catalog.pending()
        if not pending:
            return
        if self._lock is None:
            self.recover()  # a server: only stale operations
            return
        from filelock import Timeout

        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            return  # a writer is at work; it recovers when it is done
        try:
            self.recover()
        finally:
            self._lock.release()

    def _alive(self, operation: PendingOperation) -> bool:
        """Whether a journaled write may still be running: one this process runs now, one
        of another live process on this host, or (from another host) one younger than
        ``stale_after``. Under a folder's write lock no other process writes."""
        if operation.op in _ACTIVE:
            return True
        if self._lock is not None:
            return False
        host, _, pid = operation.owner.rpartition(":")
        if host == socket.gethostname() and pid.isdigit():
            return int(pid) != os.getpid() and _pid_alive(int(pid))
        return time.time() - operation.started < self.stale_after

    def recover(self, everything: bool = False) -> list[PendingOperation]:
        """Finish or roll back interrupted writes: for each journal entry of a write that
        is no longer running (:meth:`_alive`; ``everything``: regardless), keep only the
        document's committed version of its vectors, and drop the entry. Returns the
        entries recovered.
        """
        with reporting_server_errors(self.server):
            pending = self.catalog.pending()
            records = self.catalog.documents()
            done = []
            for operation in pending:
                if operation.op in _ACTIVE or (not everything and self._alive(operation)):
                    continue
                record = records.get(operation.doc_id)
                self._delete_other_versions(
                    operation.doc_id, record.op if record is not None else None, pending
                )
                self.catalog.finish(operation.op)
                done.append(operation)
        if done:
            logger.warning("index %s: recovered %d interrupted write(s)", self.name, len(done))
            self.refresh(force=True)
        return done

    def _delete_other_versions(
        self, doc_id: str, keep: str | None, pending: Sequence[PendingOperation]
    ) -> None:
        """Delete every version of ``doc_id`` but ``keep`` and those that writers still
        running are writing (:meth:`_alive`)."""
        live = {p.op for p in pending if p.doc_id == doc_id and p.op != keep and self._alive(p)}
        self.stores.delete_versions(doc_id, keep={keep, *live} - {None})

    def _plan(
        self, documents: Sequence[Document], report: IngestReport, rebuild: bool
    ) -> list[Document]:
        todo: list[Document] = []
        seen: set[str] = set()
        whole: Callable[[str], bool] | None = None
        for doc in documents:
            if not isinstance(doc, Document):
                raise TypeError(f"expected llama_index Document, got {type(doc).__name__}")
            if doc.id_ in seen:
                raise ValueError(f"document id {doc.id_!r} appears twice in one batch")
            seen.add(doc.id_)
            record = self._records.get(doc.id_)
            source = doc.metadata.get("file_path")
            if record is not None and record.source and source and record.source != source:
                report.rejected.append(
                    RejectedDocument(
                        doc.id_,
                        f"the index holds {doc.id_!r} from {record.source}, not from "
                        f"{source}: give this file another id (mom-micro ingest --id), or "
                        "delete the stored one first",
                    )
                )
                continue
            if record is not None and record.hash == doc.hash and not rebuild:
                whole = whole or self._whole_checker()
                if whole(doc.id_):
                    report.unchanged.append(doc.id_)
                    continue
                logger.warning(
                    "document %r is recorded but misses vectors: reading it again", doc.id_
                )
            todo.append(doc)
        return todo

    def _whole_checker(self) -> Callable[[str], bool]:
        """``doc_id -> bool``: whether every layer holds all the committed version's
        vectors (always True for a store that cannot list its vectors)."""
        counts = self.stores.vector_counts()
        if counts is None:
            return lambda doc_id: True

        def whole(doc_id: str) -> bool:
            record = self._records[doc_id]
            return all(
                counts.get(layer, {}).get((doc_id, record.op), 0) >= expected
                for layer, expected in record.vectors.items()
            )

        return whole

    def _embed_texts(self, nodes: Sequence[BaseNode]) -> tuple[list[TextNode], list[str]]:
        """The sentence probes of ``nodes`` (none when the index was created with
        ``sentence_probes=False``), and the texts to embed: the nodes', then the probes'."""
        probes = sentence_probes(nodes) if self.sentence_probes else []
        texts = [n.get_content(metadata_mode=MetadataMode.EMBED) for n in [*nodes, *probes]]
        return probes, texts

    def add_documents(
        self,
        documents: Sequence[Document],
        show_progress: bool = False,
        rebuild: bool = False,
        group_size: int = 16,
    ) -> IngestReport:
        """Read, embed and store ``documents``, each as one journaled write.

        Unchanged ones (same id and hash, and every vector there) are skipped, changed
        ones replaced; ``rebuild`` reads every one again. A document the reader rejects,
        or one whose ``file_path`` differs from the stored document's of the same id, is
        reported in the returned :class:`IngestReport` while the rest of the batch goes in.
        Documents go through in groups of ``group_size`` (read, embed, store), which
        bounds memory and keeps the reader's sentence embeddings in the shared memo until
        the group's probes need them; ``report.seconds`` says where the time went.
        """
        self._require_reader()
        with self._writing():
            report = IngestReport()
            todo = self._plan(documents, report, rebuild)
            bar = _progress(len(todo), show_progress)
            for start in range(0, len(todo), max(group_size, 1)):
                group = todo[start : start + max(group_size, 1)]
                began = time.perf_counter()
                built = self.builder.build(group)
                report.time("read", began)
                probes, texts = self._embed_texts(built.nodes)
                began = time.perf_counter()
                embeddings = self.embed_model.get_text_embedding_batch(texts) if texts else []
                report.time("embed", began)
                self._store(group, built, probes, embeddings, report)
                bar.update(len(group))
            bar.close()
            return self._finish(report)

    async def aadd_documents(
        self,
        documents: Sequence[Document],
        show_progress: bool = False,
        rebuild: bool = False,
        group_size: int = 16,
    ) -> IngestReport:
        """Async :meth:`add_documents`, for a reader whose calls wait on a model server.

        Up to ``group_size`` documents are being read at once (an LLM reader keeps up to
        its ``max_concurrency`` model calls in flight among them); each document is
        embedded (in a worker thread) and stored as soon as it is read, while the others
        are still being read, so the model's latency and the local embedding overlap.
        Here ``report.seconds["read"]`` is the time spent waiting for the next document to
        be read, not the reading itself.
        """
        self._require_reader()
        with self._writing():
            report = IngestReport()
            planned = self._plan(documents, report, rebuild)
            todo = iter(planned)
            bar = _progress(len(planned), show_progress)
            window = max(group_size, 1)

            async def read(document: Document) -> tuple[Document, BuiltNodes]:
                return document, await self.builder.abuild([document])

            reading: set[asyncio.Task[tuple[Document, BuiltNodes]]] = set()

            def start_reading() -> None:
                for document in itertools.islice(todo, window - len(reading)):
                    reading.add(asyncio.ensure_future(read(document)))

            try:
                start_reading()
                while reading:
                    began = time.perf_counter()
                    done, _ = await asyncio.wait(reading, return_when=asyncio.FIRST_COMPLETED)
                    report.time("read", began)
                    for task in done:
                        reading.discard(task)
                        document, built = task.result()
                        start_reading()
                        probes, texts = self._embed_texts(built.nodes)
                        began = time.perf_counter()
                        embeddings = (
                            await asyncio.to_thread(
                                self.embed_model.get_text_embedding_batch, texts
                            )
                            if texts
                            else []
                        )
                        report.time("embed", began)
                        self._store([document], built, probes, embeddings, report)
                        bar.update(1)
            finally:
                for task in reading:
                    task.cancel()
                bar.close()
            return self._finish(report)

    def _finish(self, report: IngestReport) -> IngestReport:
        began = time.perf_counter()
        self.refresh(force=True)
        report.time("index", began)
        self.last_report = report
        if report.rejected:
            logger.warning("memory index: %s", report)
        return report

    def _store(
        self,
        todo: Sequence[Document],
        built: BuiltNodes,
        probes: list[TextNode],
        embeddings: list[list[float]],
        report: IngestReport,
    ) -> None:
        began = time.perf_counter()
        report.rejected += built.rejected
        report.memories.update(built.memories)
        for node, embedding in zip([*built.nodes, *probes], embeddings, strict=True):
            node.embedding = embedding
        by_doc: dict[str, list[BaseNode]] = {}
        for node in [*built.nodes, *probes]:
            by_doc.setdefault(node.metadata["doc_id"], []).append(node)
        writes = [doc for doc in todo if doc.id_ in built.memories]
        ops = {doc.id_: new_op() for doc in writes}
        _ACTIVE.update(ops.values())
        try:
            self._write_versions(writes, by_doc, ops, report)
        finally:
            _ACTIVE.difference_update(ops.values())
        report.nodes += len(built.nodes)
        report.probes += len(probes)
        report.time("store", began)

    def _write_versions(
        self,
        writes: Sequence[Document],
        by_doc: Mapping[str, list[BaseNode]],
        ops: Mapping[str, str],
        report: IngestReport,
    ) -> None:
        """Journal, store, commit and clean up one new version of each document."""
        with reporting_server_errors(self.server):
            for doc in writes:
                self.catalog.begin(PendingOperation(ops[doc.id_], doc.id_, "write"))
            for doc in writes:
                self.stores.add(by_doc[doc.id_], ops[doc.id_])
            pending = self.catalog.pending()
            for doc in writes:
                nodes = by_doc[doc.id_]
                vectors = {layer: 0 for layer in INDEX_LAYERS}
                for node in nodes:
                    vectors[node.metadata["layer"]] += 1
                chunks = [n for n in nodes if n.metadata["layer"] == LAYER_CHUNK]
                record = DocumentRecord(
                    doc.id_, doc.hash, ops[doc.id_], vectors, doc.metadata.get("file_path")
                )
                (report.updated if doc.id_ in self._records else report.added).append(doc.id_)
                older = doc.id_ in self._records or any(
                    p.doc_id == doc.id_ and p.op != ops[doc.id_] for p in pending
                )
                self.catalog.commit(record, [_without_embedding(n) for n in chunks])
                if older:  # a first version has nothing to clean up
                    self._delete_other_versions(doc.id_, ops[doc.id_], pending)
                for operation in pending:  # an interrupted write of this document is superseded
                    if (
                        operation.doc_id == doc.id_
                        and operation.op != ops[doc.id_]
                        and not self._alive(operation)
                    ):
                        self.catalog.finish(operation.op)
                self.catalog.finish(ops[doc.id_])

    def insert(self, document: Document) -> IngestReport:
        """Add (or replace, if changed) one document; see :meth:`add_documents`."""
        return self.add_documents([document])

    def delete(self, doc_id: str) -> None:
        """Remove document ``doc_id`` from every layer (probes included) and the records.

        Raises:
            UnknownDocumentError: no such document (the message lists a few known ids).
        """
        with self._writing():
            if doc_id not in self._records:
                known = self.doc_ids
                hint = ", ".join(repr(d) for d in known[:5]) + (" ..." if len(known) > 5 else "")
                raise UnknownDocumentError(
                    f"no document {doc_id!r} in index {self.name!r} ({len(known)} documents"
                    + (f": {hint})" if known else ")")
                )
            op = new_op()
            _ACTIVE.add(op)
            try:
                with reporting_server_errors(self.server):
                    self.catalog.begin(PendingOperation(op, doc_id, "delete"))
                    self.catalog.remove(doc_id)
                    self._delete_other_versions(doc_id, None, self.catalog.pending())
                    self.catalog.finish(op)
            finally:
                _ACTIVE.discard(op)
            self.refresh(force=True)

    # -- checking -----------------------------------------------------------------------------
    def check(self) -> IndexCheck:
        """Compare the records with the vectors: which committed documents miss vectors,
        how many vectors belong to no committed version, how many writes are pending."""
        with reporting_server_errors(self.server):
            records = self.catalog.documents()
            pending = self.catalog.pending()
            counts = self.stores.vector_counts()
        report = IndexCheck(len(records), pending=len(pending), vectors_checked=counts is not None)
        if counts is None:
            return report
        in_flight = {(p.doc_id, p.op) for p in pending}
        for doc_id, record in records.items():
            missing = [
                f"{layer} {counts[layer].get((doc_id, record.op), 0)}/{expected}"
                for layer, expected in record.vectors.items()
                if counts[layer].get((doc_id, record.op), 0) < expected
            ]
            if missing:
                report.damaged[doc_id] = ", ".join(missing)
        for counter in counts.values():
            for (doc_id, op), n in counter.items():
                record = records.get(doc_id)
                if (record is None or record.op != op) and (doc_id, op) not in in_flight:
                    report.orphans += n
        return report

    def repair(self) -> IndexCheck:
        """Recover every interrupted write, drop the records of documents that miss
        vectors (so that they can be ingested again) and delete vectors of no committed
        version; return what :meth:`check` found before."""
        with self._writing(recover=False):
            self.recover(everything=True)
            found = self.check()
            with reporting_server_errors(self.server):
                for doc_id in found.damaged:
                    self.catalog.remove(doc_id)
                    self.stores.delete_versions(doc_id)
                counts = self.stores.vector_counts() or {}
                records = self.catalog.documents()
                for doc_id in {d for counter in counts.values() for (d, _) in counter}:
                    record = records.get(doc_id)
                    self.stores.delete_versions(doc_id, keep={record.op} if record else ())
            self.refresh(force=True)
        return found

    # -- retrieval ----------------------------------------------------------------------------
    def as_retriever(self, **kwargs: Any) -> ThreeLayerRetriever:
        """A :class:`ThreeLayerRetriever` over this index (keyword arguments as its own);
        before each query it takes in what other clients committed (:meth:`refresh`)."""
        kwargs.setdefault("lexical", self.lexical)
        kwargs.setdefault("refresh", self.refresh)
        return ThreeLayerRetriever(self.stores, self.embed_model, self.get_node, **kwargs)

    # -- folders of earlier versions ------------------------------------------------------------
    @classmethod
    def _migrate(
        cls,
        folder: Path,
        marker: Mapping[str, Any],
        reader: MemoryExtractor | None,
        embed_model: BaseEmbedding | None,
        vector_store: Mapping[str, BasePydanticVectorStore] | BasePydanticVectorStore | None,
        lock_timeout: float,
    ) -> MemoryIndex:
        """Move a folder index of format 1 or 2 (a ``docstore.json`` beside the vectors)
        into the records of format 3, in place."""
        from llama_index.core.storage.docstore import SimpleDocumentStore

        store = marker["store"]
        kind = store.get("kind")
        if kind == "chroma-server":
            raise IndexDamaged(
                f"{folder} is an index of mom-micro 0.1 whose records stayed in this folder "
                f"while its vectors went to the server {store.get('host')}:{store.get('port')} "
                "in collections every such folder shared; it cannot be trusted: ingest the "
                "documents again into a named server index (mom-micro ingest --chroma-host "
                "... --index-name NAME)"
            )
        path = folder / LEGACY_DOCSTORE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            docstore = SimpleDocumentStore.from_dict(data)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexDamaged(
                f"{path} is unreadable ({exc}); remove the folder and ingest the documents again"
            ) from exc
        if kind == "chroma-embedded":
            prefix = store.get("collection_prefix") or "mom"
            layers = {layer: f"{prefix}_{layer}" for layer in INDEX_LAYERS}
            client = cls._chroma_client(folder, None, None, 5.0)
            stores, chroma_catalog, _ = cls._chroma_parts(
                client, DEFAULT_NAME, layers, server=None, create=True, where=str(folder)
            )
            catalog: Catalog = chroma_catalog
        elif vector_store is not None:
            layers = {}
            stores = LayerStores(vector_store)
            catalog = JsonCatalog(folder / CATALOG_FILE)
        else:
            raise ValueError(
                f"{folder} was built on a user-supplied vector store ({kind}); "
                "pass the same vector_store= to MemoryIndex.load"
            )
        index = cls(
            stores,
            catalog,
            DEFAULT_NAME,
            embed_model=embed_model,
            # built before markup was blanked: its documents were read with their tags
            builder=MemoryNodeBuilder(reader=reader or default_reader(), keep_markup=True),
            persist_dir=folder,
            lock_timeout=lock_timeout,
        )
        with index._writing(recover=False):
            counts = stores.vector_counts()
            info = docstore.get_all_ref_doc_info() or {}
            for doc_id, ref in info.items():
                nodes = [docstore.get_node(i, raise_error=False) for i in ref.node_ids]
                nodes = [n for n in nodes if n is not None]
                vectors = {layer: 0 for layer in INDEX_LAYERS}
                for node in nodes:
                    vectors[node.metadata.get("layer", LAYER_CHUNK)] += 1
                if counts is not None:
                    vectors["sentence"] = counts["sentence"].get((doc_id, ""), 0)
                chunks = [n for n in nodes if n.metadata.get("layer") == LAYER_CHUNK]
                record = DocumentRecord(
                    doc_id, docstore.get_document_hash(doc_id) or "", "", vectors
                )
                catalog.commit(record, chunks)
            catalog.write_header(
                {
                    "format": FORMAT,
                    "version": VERSION,
                    "name": DEFAULT_NAME,
                    "created": time.time(),
                    "layers": layers or None,
                    "reader": describe_reader(index.builder.reader or default_reader()),
                    "embed_model": marker.get("embed_model"),
                    "migrated_from": marker["version"],
                    "keep_markup": True,
                }
            )
            index._write_marker(
                {"kind": "chroma-embedded"} if layers else {"kind": "vector-store", "class": kind}
            )
            path.unlink()
        logger.warning(
            "%s: migrated a format-%s index to format %s", folder, marker["version"], VERSION
        )
        index.stored_reader = describe_reader(index.builder.reader)  # type: ignore[arg-type]
        index.refresh(force=True)
        return index


def _progress(total: int, show: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="Ingesting", unit="doc", disable=not show or total < 2)


def _without_embedding(node: BaseNode) -> BaseNode:
    return node.model_copy(update={"embedding": None})
