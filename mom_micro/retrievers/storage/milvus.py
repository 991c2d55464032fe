"""A memory index in Milvus: a Milvus Lite file (``--milvus-uri ./idx.db``) or a Milvus
server (``--milvus-uri http://host:19530``, token from ``MILVUS_TOKEN``).

Everything the index needs lives in Milvus, one collection per part, named after the
index (:func:`~mom_micro.retrievers.storage.milvus_store.milvus_collection`): the four
layers ``mom_<name>_outline`` / ``_core`` / ``_chunk`` / ``_sentence``, and the records
and journal in ``mom_<name>_catalog`` (:class:`MilvusCatalog`). Any process with the
URI and the index name opens the whole index; indexes of other names share nothing.

**One process at a time on a Milvus Lite file.** Milvus Lite runs inside the process
that opens the file and locks it (``flock``) until that process closes it or exits; a
second process waits up to ``busy_timeout`` seconds, then gets
:class:`~mom_micro.retrievers.storage.errors.IndexBusy`. Within the process, writers
take a ``filelock`` beside the file (``<file>.db.lock``), as in an index folder, so the
journal recovers every write but this process's own. :meth:`MilvusLocation.close`
(``MemoryIndex.close()``; the CLI does it) hands the file back. On a server, as on a
Chroma server, writers of different documents run side by side and need no lock.

Example:
    >>> location = MilvusLocation("/tmp/doctest-mom.db")          # doctest: +SKIP
    >>> location.repair_command("papers")                         # doctest: +SKIP
    'mom-micro repair --milvus-uri /tmp/doctest-mom.db --index-name papers'
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from typing_extensions import override

from ..nodes import INDEX_LAYERS, LAYER_CHUNK
from .catalog import KeyedCatalog
from .errors import IndexDamaged, IndexNotFound
from .location import IndexLocation, IndexParts
from .milvus_store import (
    MAX_VARCHAR,
    MilvusLayerStore,
    connect_milvus,
    create_collection,
    is_lite,
    literal,
    milvus_collection,
    milvus_index_names,
    milvus_token,
    query_rows,
    release_lite,
    reporting_milvus_errors,
)
from .stores import LayerStores

__all__ = ["MilvusCatalog", "MilvusLocation"]

#: The catalog collection's dummy vectors (Milvus needs a vector field; 2 is the least
#: dimension a Milvus server accepts).
_DUMMY = [0.0, 1.0]
#: What the catalog reads of a chunk layer row.
_CHUNK_FIELDS = ["id", "doc_id", "node", "text"]


def _chunk_row(row: dict[str, Any]) -> tuple[str, str, dict[str, Any], str]:
    """``(vector id, doc_id, node metadata, text)`` of a chunk layer row."""
    return str(row["id"]), str(row["doc_id"]), json.loads(row["node"]), str(row["text"])


class MilvusCatalog(KeyedCatalog):
    """The records as ``key``/``kind``/``text`` rows of a Milvus collection (dummy
    two-dimensional vectors); the chunk nodes come from the chunk layer's rows.

    Args:
        milvus: a ``pymilvus.MilvusClient``.
        collection: the catalog collection (``mom_<name>_catalog``), which must exist
            (:meth:`create`).
        chunks: the chunk layer's store (set once the layers are open).

    Example:
        >>> MilvusCatalog.create_collection(client, "mom_papers_catalog")  # doctest: +SKIP
        >>> MilvusCatalog(client, "mom_papers_catalog").header() is None  # doctest: +SKIP
        True
    """

    def __init__(
        self, milvus: Any, collection: str, chunks: MilvusLayerStore | None = None
    ) -> None:
        self.milvus = milvus
        self.collection = collection
        self.chunks = chunks
        milvus.load_collection(collection)

    @staticmethod
    def create_collection(milvus: Any, collection: str, lite: Path | None = None) -> None:
        """Create the catalog collection ``collection`` unless it is there (``lite``: the
        Milvus Lite file the client has open, if it is one)."""
        from pymilvus import DataType

        if not milvus.has_collection(collection):
            schema = milvus.create_schema(auto_id=False, enable_dynamic_field=False)
            schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=MAX_VARCHAR)
            schema.add_field("kind", DataType.VARCHAR, max_length=16)
            schema.add_field("text", DataType.VARCHAR, max_length=MAX_VARCHAR)
            schema.add_field("vector", DataType.FLOAT_VECTOR, dim=len(_DUMMY))
            index = milvus.prepare_index_params()
            index.add_index("vector", index_type="FLAT", metric_type="L2")
            try:
                create_collection(milvus, collection, schema, index, lite)
            except Exception:
                if not milvus.has_collection(collection):
                    raise
                # another client created this index's catalog first (on a server)

    @override
    def _get(self, keys: list[str]) -> dict[str, str]:
        found = self.milvus.get(
            self.collection, ids=keys, output_fields=["key", "text"], consistency_level="Strong"
        )
        return {str(row["key"]): str(row["text"]) for row in found}

    @override
    def _put(self, key: str, text: str) -> None:
        if len(text.encode("utf-8")) > MAX_VARCHAR:
            raise ValueError(f"the index record {key[:80]!r} is over {MAX_VARCHAR} bytes")
        self.milvus.upsert(
            self.collection, [{"key": key, "kind": self.kind(key), "text": text, "vector": _DUMMY}]
        )

    @override
    def _delete(self, keys: list[str]) -> None:
        self.milvus.delete(self.collection, ids=keys)

    @override
    def _all(self, kind: str) -> dict[str, str]:
        return {
            str(row["key"]).split(":", 1)[1]: str(row["text"])
            for row in query_rows(
                self.milvus, self.collection, f"kind == {literal(kind)}", ["key", "text"]
            )
        }

    @override
    def _chunk_rows(self, doc_ids: list[str]) -> Iterator[tuple[str, str, dict[str, Any], str]]:
        expression = f"doc_id in {literal(doc_ids)}"
        rows = self.chunks.rows(expression, _CHUNK_FIELDS)  # type: ignore[union-attr]
        yield from map(_chunk_row, rows)

    @override
    def _chunk_rows_by_id(
        self, vector_ids: list[str]
    ) -> Iterator[tuple[str, str, dict[str, Any], str]]:
        rows = self.chunks.rows_by_id(vector_ids, _CHUNK_FIELDS)  # type: ignore[union-attr]
        yield from map(_chunk_row, rows)


class MilvusLocation(IndexLocation):
    """An index's collections in Milvus (module docstring).

    Args:
        uri: a Milvus Lite file (a path ending in ``.db``) or a server URL.
        token: the server's token (default: the ``MILVUS_TOKEN`` environment variable).
        timeout: seconds before an unreachable server is reported.
        busy_timeout: seconds to wait for a Milvus Lite file another process has open.
    """

    def __init__(
        self,
        uri: str,
        token: str | None = None,
        timeout: float = 5.0,
        busy_timeout: float = 60.0,
    ) -> None:
        if not (is_lite(uri) or uri.startswith(("http://", "https://", "tcp://"))):
            raise ValueError(
                f"milvus_uri {uri!r} is neither a Milvus Lite file (a path ending in .db) "
                "nor a server URL (http://host:19530)"
            )
        self.lite = is_lite(uri)
        self.uri = str(Path(uri).expanduser().resolve()) if self.lite else uri.rstrip("/")
        self.where = self.uri
        self._token = milvus_token(token)
        self._timeout = timeout
        self._busy_timeout = busy_timeout
        self._client: Any = None

    @property
    def _lite_path(self) -> Path | None:
        return Path(self.uri) if self.lite else None

    def client(self) -> Any:
        """The one ``MilvusClient`` of this location, connected on first use."""
        if self._client is None:
            self._client = connect_milvus(self.uri, self._token, self._timeout, self._busy_timeout)
        return self._client

    def close(self) -> None:
        """Close the connection; a Milvus Lite file is handed back to other processes
        once this process's last index on it closes."""
        if self._client is None:
            return
        client, self._client = self._client, None
        if self.lite:
            release_lite(self.uri, client)
        else:
            client.close()

    @override
    def reporting(self) -> AbstractContextManager[None]:
        return reporting_milvus_errors(self.uri)

    @override
    def lock(self) -> Any:
        """On a Milvus Lite file, a ``filelock`` beside it (``<file>.lock``) for writers;
        on a server, None (writers of different documents run side by side)."""
        if not self.lite:
            return None
        if self._lock is None:
            from filelock import FileLock

            Path(self.uri).parent.mkdir(parents=True, exist_ok=True)
            self._lock = FileLock(self.uri + ".lock")
        return self._lock

    def index_names(self) -> list[str]:
        """The names of the memory indexes in this Milvus."""
        with self.reporting():
            return milvus_index_names(self.client().list_collections())

    @override
    def exists(self, name: str | None) -> bool:
        with self.reporting():
            return self.client().has_collection(
                milvus_collection(name or self.default_name(), "catalog")
            )

    @override
    def layer_names(self, name: str) -> dict[str, str] | None:
        return {layer: milvus_collection(name, layer) for layer in INDEX_LAYERS}

    @override
    def parts(self, name: str, create: bool) -> IndexParts:
        client = self.client()
        collection = milvus_collection(name, "catalog")
        with self.reporting():
            if create:
                MilvusCatalog.create_collection(client, collection, self._lite_path)
            elif not client.has_collection(collection):
                raise IndexNotFound(f"{self.where}: no memory index named {name!r}")
            catalog = MilvusCatalog(client, collection)
            header = catalog.header()
            if header is None and not create:
                raise IndexDamaged(
                    f"{self.where}: the records of index {name!r} are missing (its catalog "
                    f"{collection} was emptied?); remove the index's collections and ingest "
                    "the documents again"
                )
            layers = (header or {}).get("layers") or self.layer_names(name) or {}
        stores = {
            layer: MilvusLayerStore(
                client, layers[layer], keep_text=layer == LAYER_CHUNK, lite=self._lite_path
            )
            for layer in INDEX_LAYERS
        }
        catalog.chunks = stores[LAYER_CHUNK]
        return IndexParts(LayerStores(stores, reporting=self.reporting), catalog, header)

    @override
    def repair_command(self, name: str) -> str:
        return f"mom-micro repair --milvus-uri {self.uri} --index-name {name}"
