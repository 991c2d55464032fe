"""Where a memory index lives: a folder, a Chroma server, Milvus, memory, or a user's
own LlamaIndex vector store -- validated once, holding one client.

:func:`index_location` turns the arguments a user gives (``persist_dir``,
``chroma_host`` / ``chroma_port``, ``milvus_uri``, ``vector_store``) into one
:class:`IndexLocation` (Milvus: :class:`~mom_micro.retrievers.storage.milvus.MilvusLocation`);
every rule about which arguments go together lives there, once. A location knows how
to list, create and open the records and layers of a named index
(:meth:`IndexLocation.parts`), which lock serialises its writers, how its errors read,
and which command repairs it. It knows nothing of search: the index, the writer, the
journal and the integrity check take what it returns.

A location of a new kind (another vector database) is one more subclass: ingest and
retrieval only see the :class:`~mom_micro.retrievers.storage.catalog.Catalog` and the
layer stores it returns.

Example:
    >>> location = index_location(None)            # in memory
    >>> location.where, location.persistent
    ('memory', False)
    >>> index_location(None, chroma_host="localhost")
    Traceback (most recent call last):
    ...
    ValueError: give both chroma_host and chroma_port for a Chroma server
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llama_index.core.vector_stores.types import BasePydanticVectorStore
from typing_extensions import override

from mom_micro.files import atomic_write_text

from ..nodes import INDEX_LAYERS, LAYER_CHUNK
from .catalog import Catalog, ChromaCatalog, JsonCatalog
from .chroma import (
    collection_name,
    connect_chroma_server,
    ephemeral_client,
    index_names,
    open_chroma_path,
    reporting_server_errors,
)
from .errors import IndexDamaged, IndexExists, IndexNotFound
from .stores import LayerStores

__all__ = [
    "CATALOG_FILE",
    "CHROMA_FOLDER",
    "DEFAULT_NAME",
    "FORMAT",
    "LOCK_FILE",
    "MARKER",
    "STORE_KINDS",
    "VERSION",
    "ChromaFolder",
    "ChromaMemory",
    "ChromaServer",
    "IndexLocation",
    "IndexParts",
    "OwnVectorStore",
    "index_location",
    "new_header",
    "read_marker",
    "server_address",
]

MARKER = "mom_index.json"
CHROMA_FOLDER = "chroma"
CATALOG_FILE = "catalog.json"
LOCK_FILE = ".mom_index.lock"
FORMAT = "mom-micro-memory-index"
#: 3: records in the store (catalog), versioned vectors, journaled writes.
VERSION = 3
DEFAULT_NAME = "default"
#: The ``store.kind`` values a current folder marker may hold (older formats are read
#: by :mod:`~mom_micro.retrievers.storage.migration`).
STORE_KINDS = ("chroma-embedded", "vector-store")

VectorStoreArg = Mapping[str, BasePydanticVectorStore] | BasePydanticVectorStore


@dataclass
class IndexParts:
    """The layers, the records and the header of one named index."""

    stores: LayerStores
    catalog: Catalog
    header: dict[str, Any] | None


def server_address(host: str | None, port: int | str | None) -> tuple[str, int] | None:
    """``(host, port)`` of a Chroma server, or None when neither is given; the one check
    that both go together.

    Example:
        >>> server_address("127.0.0.1", "8000")
        ('127.0.0.1', 8000)
        >>> server_address(None, None) is None
        True
    """
    if host is None and port is None:
        return None
    if host is None or port is None:
        raise ValueError("give both chroma_host and chroma_port for a Chroma server")
    try:
        number = int(port)
    except (TypeError, ValueError):
        raise ValueError(f"chroma_port must be a port number, not {port!r}") from None
    if not 0 < number < 65536:
        raise ValueError(f"chroma_port must be between 1 and 65535, not {number}")
    return str(host), number


def read_marker(folder: Path) -> dict[str, Any]:
    """The folder's marker file, checked: format, version, a known store kind."""
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
    store = data.get("store")
    if not isinstance(store, dict):
        raise IndexDamaged(f"{marker} has no 'store' description")
    if version == VERSION and store.get("kind") not in STORE_KINDS:
        raise IndexDamaged(
            f"{marker}: unknown store kind {store.get('kind')!r} (this mom-micro knows "
            f"{', '.join(STORE_KINDS)}); the marker was edited or comes from another program"
        )
    data["version"] = version
    return data


def new_header(name: str, layers: Mapping[str, str] | None, **fields: Any) -> dict[str, Any]:
    """The header a new index stores: format, version, name, creation time, the
    collections of its layers (None on a user's vector store), and ``fields``."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": name,
        "created": time.time(),
        "layers": dict(layers) if layers else None,
        **fields,
    }


class IndexLocation(ABC):
    """Where an index lives (module docstring).

    Attributes:
        where: how messages name the place (a folder, ``host:port``, ``memory``).
        folder: the index folder, if any (marker, lock, JSON catalog).
        server: ``(host, port)`` of a Chroma server, if any.
        persistent: whether anything outlives the process.
    """

    where: str
    folder: Path | None = None
    server: tuple[str, int] | None = None
    persistent: bool = True
    _lock: Any = None

    def reporting(self) -> AbstractContextManager[None]:
        """Report a lost server connection as one line naming the server."""
        return reporting_server_errors(self.server)

    def close(self) -> None:  # noqa: B027 - most locations hold nothing to close
        """Let go of the connection, where the location holds one that others wait for
        (a Milvus Lite file); a closed location reconnects on next use."""

    def lock(self) -> Any:
        """The folder's write lock (one ``filelock.FileLock``, reentrant in a thread), or
        None where writers of different documents run side by side (a server, memory)."""
        if self.folder is None:
            return None
        if self._lock is None:
            from filelock import FileLock

            self.folder.mkdir(parents=True, exist_ok=True)
            self._lock = FileLock(str(self.folder / LOCK_FILE))
        return self._lock

    @abstractmethod
    def exists(self, name: str | None) -> bool:
        """Whether an index of ``name`` (None: the location's default) is there."""

    def check_new(self, name: str) -> None:
        """Raise :class:`IndexExists` when an index cannot be created here (by default:
        when an index of that name is there)."""
        if self.exists(name):
            raise IndexExists(
                f"{self.where} already has an index named {name!r}: open it "
                "(MemoryIndex.open / mom-micro ingest adds to it)"
            )

    @abstractmethod
    def parts(self, name: str, create: bool) -> IndexParts:
        """The layers and records of index ``name`` (created when ``create``).

        Raises:
            IndexNotFound: no index of that name (``create`` False).
            IndexDamaged: its records or a layer are gone.
        """

    def default_name(self) -> str:
        """The index name when none is given."""
        return DEFAULT_NAME

    def layer_names(self, name: str) -> dict[str, str] | None:
        """The collections a new index's layers go to (None: the user's store)."""
        return {layer: collection_name(name, layer) for layer in INDEX_LAYERS}

    def store_description(self) -> dict[str, Any]:
        """What the marker file says holds the vectors."""
        return {"kind": "chroma-embedded"}

    def write_marker(self, name: str) -> None:
        """Write the folder's marker (atomically), the last step of creating an index."""
        if self.folder is not None:
            atomic_write_text(
                self.folder / MARKER,
                json.dumps(
                    {
                        "format": FORMAT,
                        "version": VERSION,
                        "name": name,
                        "store": self.store_description(),
                    },
                    indent=1,
                ),
            )

    def repair_command(self, name: str) -> str:
        """The command that repairs index ``name`` here."""
        return f"mom-micro repair --index {self.folder}"


class ChromaLocation(IndexLocation):
    """A Chroma client (embedded, server or in memory) holding the index's collections."""

    _client: Any = None

    def client(self) -> Any:
        """The one Chroma client of this location, opened on first use."""
        if self._client is None:
            self._client = self._connect()
        return self._client

    @abstractmethod
    def _connect(self) -> Any: ...

    @override
    def exists(self, name: str | None) -> bool:
        with self.reporting():
            return (name or self.default_name()) in index_names(self.client())

    @override
    def parts(self, name: str, create: bool) -> IndexParts:
        return chroma_parts(self, name, self.layer_names(name) if create else None, create)


def chroma_parts(
    location: ChromaLocation, name: str, layers: Mapping[str, str] | None, create: bool
) -> IndexParts:
    """The layers and the catalog of index ``name`` in the location's Chroma, and its
    header; ``layers`` None: the header says which collections hold the layers."""
    client, where = location.client(), location.where
    with location.reporting():
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
            stores = LayerStores.from_chroma(client, layers, server=location.server, create=create)
        except Exception as exc:
            if create or type(exc).__name__ != "NotFoundError":
                raise
            raise IndexDamaged(
                f"{where}: index {name!r} lost a layer's collection ({exc}); remove the "
                "index and ingest the documents again"
            ) from exc
    catalog.chunks = stores.store(LAYER_CHUNK).client
    return IndexParts(stores, catalog, header)


def _check_new_folder(folder: Path) -> None:
    if (folder / MARKER).exists():
        raise IndexExists(
            f"{folder} already holds a memory index: open it with "
            f"MemoryIndex.open({str(folder)!r}) and insert() into it"
        )
    if folder.exists() and (
        not folder.is_dir() or any(p.name != LOCK_FILE for p in folder.iterdir())
    ):
        raise IndexExists(
            f"{folder} is not empty and holds no memory index "
            f"({MARKER} missing): choose an empty or new folder"
        )


class ChromaFolder(ChromaLocation):
    """An embedded Chroma database under ``folder/chroma`` and the folder's marker."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder).resolve()
        self.where = str(self.folder)

    @override
    def _connect(self) -> Any:
        database = self.folder / CHROMA_FOLDER / "chroma.sqlite3"  # type: ignore[operator]
        try:
            return open_chroma_path(self.folder / CHROMA_FOLDER)  # type: ignore[operator]
        except Exception as exc:  # a damaged SQLite file fails inside chromadb
            raise IndexDamaged(
                f"{self.folder}: the Chroma database {database} could not be opened "
                f"({type(exc).__name__}: {exc}); remove the folder and ingest the "
                "documents again"
            ) from exc

    @override
    def exists(self, name: str | None) -> bool:
        return (self.folder / MARKER).is_file()  # type: ignore[operator]

    @override
    def default_name(self) -> str:
        if self.exists(None):
            return str(read_marker(self.folder).get("name") or DEFAULT_NAME)  # type: ignore[arg-type]
        return DEFAULT_NAME

    @override
    def check_new(self, name: str) -> None:
        _check_new_folder(self.folder)  # type: ignore[arg-type]

    @override
    def parts(self, name: str, create: bool) -> IndexParts:
        try:
            return super().parts(name, create)
        except IndexNotFound as exc:
            raise IndexDamaged(
                f"{self.folder}: its marker names index {name!r}, but the Chroma database "
                f"under {self.folder / CHROMA_FOLDER} holds no such index (removed or "  # type: ignore[operator]
                "replaced?); remove the folder and ingest the documents again"
            ) from exc


class ChromaServer(ChromaLocation):
    """Collections on a Chroma server: connected (and checked) once, here."""

    def __init__(self, host: str, port: int, timeout: float = 5.0) -> None:
        self.server = (host, int(port))
        self.where = f"{host}:{int(port)}"
        self._client = connect_chroma_server(host, int(port), timeout=timeout)

    @override
    def _connect(self) -> Any:  # pragma: no cover - connected in __init__
        return self._client

    @override
    def repair_command(self, name: str) -> str:
        host, port = self.server  # type: ignore[misc]
        return f"mom-micro repair --chroma-host {host} --chroma-port {port} --index-name {name}"


class ChromaMemory(ChromaLocation):
    """An in-memory Chroma (nothing outlives the process)."""

    where = "memory"
    persistent = False

    @override
    def _connect(self) -> Any:
        return ephemeral_client()

    @override
    def default_name(self) -> str:
        from .catalog import new_op

        return f"mem-{new_op()}"


class OwnVectorStore(IndexLocation):
    """A user's LlamaIndex vector store (or ``{layer: store}``) for the vectors, and a
    JSON catalog in ``folder`` (or in memory) for the records and chunk texts."""

    def __init__(self, vector_store: VectorStoreArg, folder: str | Path | None = None) -> None:
        self.vector_store = vector_store
        self.folder = Path(folder).resolve() if folder is not None else None
        self.where = str(self.folder) if self.folder is not None else "memory"
        self.persistent = self.folder is not None
        self._catalog: JsonCatalog | None = None

    def _json_catalog(self) -> JsonCatalog:
        if self._catalog is None:
            path = self.folder / CATALOG_FILE if self.folder is not None else None
            self._catalog = JsonCatalog(path)
        return self._catalog

    @override
    def exists(self, name: str | None) -> bool:
        if self.folder is not None:
            return (self.folder / MARKER).is_file()
        return self._json_catalog().header() is not None

    @override
    def check_new(self, name: str) -> None:
        if self.folder is not None:
            _check_new_folder(self.folder)

    @override
    def parts(self, name: str, create: bool) -> IndexParts:
        catalog = self._json_catalog()
        return IndexParts(LayerStores(self.vector_store), catalog, catalog.header())

    @override
    def layer_names(self, name: str) -> dict[str, str] | None:
        return None

    @override
    def store_description(self) -> dict[str, Any]:
        stores = self.vector_store
        kind = type(next(iter(stores.values())) if isinstance(stores, Mapping) else stores)
        return {"kind": "vector-store", "class": kind.__name__}


def index_location(
    persist_dir: str | Path | None = None,
    *,
    chroma_host: str | None = None,
    chroma_port: int | str | None = None,
    vector_store: VectorStoreArg | None = None,
    chroma_timeout: float = 5.0,
    milvus_uri: str | None = None,
    milvus_token: str | None = None,
) -> IndexLocation:
    """The location these arguments name, checked once (module docstring).

    A folder whose marker says its vectors are in a user's vector store needs that
    ``vector_store`` again. ``milvus_uri`` is a Milvus Lite file (``*.db``) or a server
    URL; ``milvus_token`` (default: ``MILVUS_TOKEN``) the server's token.

    Raises:
        ValueError: arguments that do not go together (the message says which).
        ChromaServerUnavailable: no Chroma server answers at ``chroma_host:chroma_port``.

    Example:
        >>> index_location("idx", milvus_uri="idx.db")
        Traceback (most recent call last):
        ...
        ValueError: a Milvus index lives in Milvus: give milvus_uri and index_name, not persist_dir
    """
    if milvus_uri is not None:
        clash = [
            name
            for name, value in (
                ("persist_dir", persist_dir),
                ("chroma_host", chroma_host),
                ("chroma_port", chroma_port),
                ("vector_store", vector_store),
            )
            if value is not None
        ]
        if clash:
            raise ValueError(
                "a Milvus index lives in Milvus: give milvus_uri and index_name, not "
                + " or ".join(clash)
            )
        if not str(milvus_uri).strip():
            raise ValueError("milvus_uri is empty: give a Milvus Lite file (*.db) or a server URL")
        from .milvus import MilvusLocation

        return MilvusLocation(str(milvus_uri), milvus_token, timeout=chroma_timeout)
    if milvus_token is not None:
        raise ValueError("milvus_token goes with milvus_uri")
    server = server_address(chroma_host, chroma_port)
    if server is not None:
        if persist_dir is not None or vector_store is not None:
            raise ValueError(
                "a server index lives on the server: give chroma_host, chroma_port and "
                "index_name, not persist_dir or vector_store"
            )
        return ChromaServer(*server, timeout=chroma_timeout)
    if vector_store is not None:
        return OwnVectorStore(vector_store, persist_dir)
    if persist_dir is None:
        return ChromaMemory()
    folder = Path(persist_dir).resolve()
    if (folder / MARKER).is_file():
        store = read_marker(folder)["store"]
        if store["kind"] == "vector-store":
            raise ValueError(
                f"{folder} was built on a user-supplied vector store "
                f"({store.get('class')}); pass the same vector_store= to MemoryIndex.load"
            )
    return ChromaFolder(folder)
