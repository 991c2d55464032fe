"""Milvus for the memory index: the connection (Milvus Lite in a ``.db`` file, or a
server at ``http://host:19530``), the collection names, the filter expressions, and
:class:`MilvusLayerStore`, the LlamaIndex vector store of one layer.

Why a store of our own: LlamaIndex's ``llama-index-vector-stores-milvus`` (1.2.0, the
latest) requires ``pymilvus<3``, and Milvus Lite 3 (the one-file Milvus) needs pymilvus
3; the two cannot be installed together. :class:`MilvusLayerStore` is the small part of
that adapter the index uses: add, delete by id or metadata filter, cosine search, and
listing its ids, on pymilvus' ``MilvusClient``.

Traps this module handles (Milvus Lite 3.2, pymilvus 3.0):

- **one process per file**: Milvus Lite takes an ``flock`` on the file for as long as a
  process has it open (it runs in-process; pymilvus starts it on the first client of a
  path and keeps it until exit or :func:`release_lite`); a second process fails with
  "Open local milvus failed". :func:`connect_milvus` waits for the file, then raises
  :class:`~mom_micro.retrievers.storage.errors.IndexBusy` naming it.
- **collection names**: a Milvus server allows letters, digits and ``_`` only (Milvus
  Lite also takes ``-``, a server does not), so index names are mapped one-to-one
  (:func:`milvus_collection`).
- **no filter templates** in Milvus Lite (``filter_params``): string values are quoted
  here (:func:`literal`).
- **a torn collection**: Milvus Lite creates a collection's folder, then writes its
  schema; a process killed between the two leaves a folder without a schema, which
  Milvus Lite neither lists nor lets anyone create again ("File exists").
  :func:`create_collection` removes such a folder (it holds no data: nothing is written
  before the schema) before creating the collection.
- **a loaded collection**: a collection reopened by a new process is *released* and must
  be loaded before a search.
- **BM25 in Milvus Lite**: Milvus Lite 3.2 takes the ``BM25`` function but ignores an
  analyzer's ``stop`` filter, and returns a full-text hit's score negated (smallest
  distance first) where a server returns it as is. The chunk layer therefore stores its
  words already as the index's terms (:func:`~mom_micro.text.terms`: lowercased, stop
  words out), queries are sent as their terms, and a hit's score is read as ``|distance|``
  (:meth:`MilvusLayerStore.word_search`).
- **pymilvus' own stderr logging**: it prints every failed call with its traceback (and,
  on Milvus Lite, a warning on every listing) on its own handlers; those calls' errors
  are raised here as one-line exceptions instead, so :func:`connect_milvus` filters
  exactly those records out (:class:`_RaisedHere`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from llama_index.core.schema import BaseNode
from llama_index.core.vector_stores.types import (
    BasePydanticVectorStore,
    FilterCondition,
    FilterOperator,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryResult,
)
from llama_index.core.vector_stores.utils import node_to_metadata_dict
from pydantic import PrivateAttr

from mom_micro.text import terms

from ..nodes import lexical_text
from .chroma import check_index_name
from .errors import IndexBusy, StoreUnavailable

__all__ = [
    "MilvusLayerStore",
    "MilvusUnavailable",
    "connect_milvus",
    "filter_expression",
    "is_lite",
    "literal",
    "milvus_collection",
    "milvus_index_names",
    "create_collection",
    "query_rows",
    "release_lite",
    "reporting_milvus_errors",
]

#: The longest VARCHAR Milvus stores (bytes).
MAX_VARCHAR = 65535
#: The most hits one Milvus search returns.
MAX_TOP_K = 16384
#: Rows per page when listing a collection.
PAGE = 5000
#: The chunk layer's field of BM25 terms and the sparse field Milvus's ``BM25`` function
#: fills from it.
WORDS_FIELD, BM25_FIELD = "words", "bm25"
#: Okapi BM25's parameters, as the client's :mod:`mom_micro.retrievers.lexical` uses them.
BM25_PARAMS = {"bm25_k1": 1.2, "bm25_b": 0.75}
#: Fields every layer row has besides its vector; ``node`` and ``text`` hold the node
#: (LlamaIndex's serialisation, without text) and its text where the store keeps texts.
SCALAR_FIELDS = ("doc_id", "op", "layer")


class MilvusUnavailable(StoreUnavailable):
    """No Milvus answers at the URI (down, wrong address, refused token).

    Example:
        >>> print(MilvusUnavailable("http://127.0.0.1:1", "connection refused"))
        Milvus at http://127.0.0.1:1 is not reachable (connection refused); start it or fix --milvus-uri (a server http://host:19530, or a Milvus Lite file ending in .db)
    """

    def __init__(self, uri: str, reason: str) -> None:
        self.uri = uri
        super().__init__(
            "Milvus",
            uri,
            reason,
            "start it or fix --milvus-uri (a server http://host:19530, or a Milvus Lite "
            "file ending in .db)",
        )


def is_lite(uri: str) -> bool:
    """Whether ``uri`` names a Milvus Lite file (a path ending in ``.db``).

    Example:
        >>> is_lite("./idx.db"), is_lite("http://localhost:19530")
        (True, False)
    """
    return "://" not in uri and uri.endswith(".db")


# -- names ------------------------------------------------------------------------------------
def _escape(name: str) -> str:
    return name.replace("_", "__").replace("-", "_0")


def milvus_collection(index: str, part: str) -> str:
    """The Milvus collection of one part (a layer, or ``catalog``) of index ``index``:
    ``mom_<index>_<part>`` with the index name mapped one-to-one into letters, digits
    and ``_`` (``_`` -> ``__``, ``-`` -> ``_0``), so ``a-b`` and ``a_b`` stay apart.

    Raises:
        InvalidIndexName: the index name is not allowed (a ``ValueError``).

    Example:
        >>> milvus_collection("papers-2025", "chunk"), milvus_collection("a_b", "catalog")
        ('mom_papers_02025_chunk', 'mom_a__b_catalog')
    """
    return f"mom_{_escape(check_index_name(index))}_{part}"


_ESCAPED = re.compile(r"(?:[A-Za-z0-9]|__|_0)+")


def milvus_index_names(collections: Sequence[str]) -> list[str]:
    """The memory indexes among Milvus collection names (those with a catalog).

    Example:
        >>> milvus_index_names(["mom_a__b_catalog", "mom_a__b_chunk", "other"])
        ['a_b']
    """
    names = []
    for collection in collections:
        if not (collection.startswith("mom_") and collection.endswith("_catalog")):
            continue
        escaped = collection[len("mom_") : -len("_catalog")]
        if _ESCAPED.fullmatch(escaped):
            names.append(re.sub(r"_(.)", lambda m: "_" if m[1] == "_" else "-", escaped))
    return sorted(names)


# -- filters ----------------------------------------------------------------------------------
def literal(value: Any) -> str:
    """A value as a Milvus expression literal (strings double-quoted and escaped).

    Example:
        >>> print(literal('say "hi"'), literal(3), literal(["a", "b"]))
        "say \\"hi\\"" 3 ["a", "b"]
    """
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    raise ValueError(f"a Milvus filter cannot compare with {value!r}")


_OPERATORS = {
    FilterOperator.EQ: "==",
    FilterOperator.NE: "!=",
    FilterOperator.GT: ">",
    FilterOperator.GTE: ">=",
    FilterOperator.LT: "<",
    FilterOperator.LTE: "<=",
    FilterOperator.IN: "in",
    FilterOperator.NIN: "not in",
}


def filter_expression(filters: MetadataFilters | None) -> str:
    """A LlamaIndex metadata filter as a Milvus boolean expression on the layer fields
    (``doc_id``, ``op``, ``layer``; other keys are refused: the index filters on no
    others).

    Example:
        >>> from llama_index.core.vector_stores.types import MetadataFilter
        >>> f = MetadataFilters(filters=[MetadataFilter(key="doc_id", value="a"),
        ...     MetadataFilter(key="op", value=["x"], operator=FilterOperator.NIN)])
        >>> filter_expression(f)
        '(doc_id == "a") and (op not in ["x"])'
    """
    if filters is None or not filters.filters:
        return ""
    parts = []
    for item in filters.filters:
        if isinstance(item, MetadataFilters):
            parts.append(filter_expression(item))
            continue
        if item.key not in SCALAR_FIELDS or item.operator not in _OPERATORS:
            raise ValueError(
                f"a Milvus layer filters on {', '.join(SCALAR_FIELDS)} with "
                f"{', '.join(o.value for o in _OPERATORS)}, not {item.key!r} {item.operator.value}"
            )
        parts.append(f"{item.key} {_OPERATORS[item.operator]} {literal(item.value)}")
    condition = filters.condition or FilterCondition.AND
    joiner = {FilterCondition.AND: " and ", FilterCondition.OR: " or "}.get(condition)
    if joiner is None:
        raise ValueError(f"a Milvus filter cannot combine conditions with {filters.condition}")
    return joiner.join(f"({part})" for part in parts if part)


# -- the connection ---------------------------------------------------------------------------
def _unavailable(exc: BaseException) -> bool:
    """Whether a pymilvus error says the server cannot be reached."""
    from pymilvus.exceptions import ConnectError, MilvusUnavailableException

    if isinstance(exc, (ConnectError, MilvusUnavailableException, ConnectionError)):
        return True
    text = str(exc)
    return "server unavailable" in text or "StatusCode.UNAVAILABLE" in text


@contextmanager
def reporting_milvus_errors(uri: str) -> Iterator[None]:
    """Turn a lost connection to the Milvus at ``uri`` into :class:`MilvusUnavailable`
    (other errors pass through)."""
    try:
        yield
    except (MilvusUnavailable, IndexBusy):
        raise
    except Exception as exc:
        if _unavailable(exc):
            raise MilvusUnavailable(uri, _reason(exc)) from exc
        raise


def _reason(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return f"{type(exc).__name__}: {message}"


def _lite_locked(path: Path) -> bool:
    """Whether another process holds Milvus Lite's lock on ``path`` (its documented
    ``flock`` on ``<path>/LOCK``); probed without keeping it."""
    import fcntl

    lock = path / "LOCK"
    if not lock.exists():
        return False
    with open(lock, "rb") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


class _RaisedHere(logging.Filter):
    """Drop pymilvus' and Milvus Lite's log records of failures this module raises as
    exceptions (and Milvus Lite's "no mvccTs" warning on every listing: strong
    consistency is asked for explicitly); every other record passes."""

    DROPPED = (
        "RPC error",
        "grpc Timeout",
        "failed to get mvccTs",
        "Failed to start MilvusLite server",
        "Connection recovery failed",
        "Failed to refresh topology on UNAVAILABLE",
    )

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.DROPPED)


_FILTER = _RaisedHere()


def _quiet_client_logs() -> None:
    """Put :class:`_RaisedHere` on pymilvus' handlers and Milvus Lite's server logger."""
    for handler in logging.getLogger("pymilvus").handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
    lite = logging.getLogger("milvus_lite.server_manager")
    if _FILTER not in lite.filters:
        lite.addFilter(_FILTER)


#: Clients of Milvus Lite files open in this process, by path: the file is released to
#: other processes when the last one closes (:func:`release_lite`).
_LITE_USERS: dict[str, int] = {}
_LITE_GUARD = threading.Lock()


def connect_milvus(
    uri: str, token: str | None = None, timeout: float = 5.0, busy_timeout: float = 60.0
) -> Any:
    """A ``pymilvus.MilvusClient`` for ``uri``: a server, or a Milvus Lite file (made
    absolute; created with its folder when missing).

    Raises:
        MilvusUnavailable: no server answers within ``timeout`` seconds.
        IndexBusy: another process has the Milvus Lite file open for more than
            ``busy_timeout`` seconds (Milvus Lite lets one process open a file at a time).
    """
    from pymilvus import MilvusClient

    _quiet_client_logs()
    if not is_lite(uri):
        deadline = time.monotonic() + timeout
        while True:  # a channel the server just closed (GOAWAY "too many pings") heals
            try:
                return MilvusClient(uri=uri, token=token or "", timeout=timeout)
            except Exception as exc:
                if time.monotonic() + 0.5 > deadline:
                    raise MilvusUnavailable(uri, _reason(exc)) from exc
                time.sleep(0.5)
    path = Path(uri).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            client = MilvusClient(uri=str(path))
            break
        except Exception as exc:
            if not _lite_locked(path):
                raise MilvusUnavailable(str(path), _reason(exc)) from exc
            if time.monotonic() > deadline:
                raise IndexBusy(
                    f"{path}: another process has this Milvus Lite file open (Milvus Lite "
                    f"lets one process open a file at a time; waited {busy_timeout:.0f} s): "
                    "wait for it to finish, or use a Milvus server for several clients"
                ) from exc
            time.sleep(0.25)
    with _LITE_GUARD:
        _LITE_USERS[str(path)] = _LITE_USERS.get(str(path), 0) + 1
    return client


def release_lite(uri: str, client: Any) -> None:
    """Close ``client`` of a Milvus Lite file; when it was this process's last one, stop
    the file's in-process server so that another process can open the file."""
    path = str(Path(uri).expanduser().resolve())
    client.close()
    with _LITE_GUARD:
        users = _LITE_USERS.get(path, 0) - 1
        if users > 0:
            _LITE_USERS[path] = users
            return
        _LITE_USERS.pop(path, None)
    from milvus_lite.server_manager import server_manager_instance

    server_manager_instance.release_server(path)


def _torn_lite_collection(lite: Path, name: str) -> Path | None:
    """The folder of collection ``name`` in the Milvus Lite file ``lite`` if a killed
    creation left it without its schema, else None."""
    from milvus_lite.db import COLLECTIONS_DIRNAME, SCHEMA_FILENAME

    folder = lite / COLLECTIONS_DIRNAME / name
    if folder.is_dir() and not (folder / SCHEMA_FILENAME).exists():
        return folder
    return None


def create_collection(
    milvus: Any, name: str, schema: Any, index: Any, lite: Path | None = None
) -> None:
    """Create collection ``name`` (strong consistency). In the Milvus Lite file ``lite``
    (which this process holds open), the folder a killed creation left is removed
    first (module docstring)."""
    if lite is not None:
        torn = _torn_lite_collection(lite, name)
        if torn is not None:
            import shutil

            logging.getLogger(__name__).warning(
                "%s: removing collection %s, whose creation was interrupted", lite, name
            )
            shutil.rmtree(torn)
    milvus.create_collection(name, schema=schema, index_params=index, consistency_level="Strong")


def query_rows(
    milvus: Any, collection: str, expression: str, fields: Sequence[str]
) -> Iterator[dict[str, Any]]:
    """Every row of ``collection`` matching ``expression`` ("" for all), with
    ``fields``, read :data:`PAGE` rows at a time (a plain query stops at 16,384 rows)."""
    pages = milvus.query_iterator(
        collection,
        batch_size=PAGE,
        filter=expression,
        output_fields=list(fields),
        consistency_level="Strong",
    )
    try:
        while page := pages.next():
            yield from page
    finally:
        pages.close()


# -- one layer ---------------------------------------------------------------------------------
class MilvusLayerStore(BasePydanticVectorStore):
    """One layer of a memory index in one Milvus collection (cosine metric, a FLAT index:
    exact search, as Chroma's brute force on small collections), created on the first
    ``add`` (the embedding size is known then).

    Each row: ``id`` (the vector id ``node_id@op``), ``vector``, ``doc_id``, ``op``,
    ``layer``, and with ``keep_text`` the node's ``text`` and its LlamaIndex
    serialisation ``node`` (the chunk layer keeps them: the index reads its chunks back
    from there). Searches return ids and cosine similarities only.

    With ``keep_text`` the collection also computes BM25 in Milvus: ``words`` holds the
    node's terms (of its title and text, :func:`~mom_micro.retrievers.nodes.lexical_text`)
    and Milvus's ``BM25`` function fills the sparse field ``bm25`` from them, keeping the
    corpus statistics as rows are inserted and deleted; :meth:`word_search` asks it. (A
    collection created before this has no such field: :attr:`searches_words` is False.)

    Args:
        milvus: a ``pymilvus.MilvusClient``.
        collection: the collection's name.
        keep_text: store each node's text and serialisation.
        lite: the Milvus Lite file the client has open, if it is one
            (:func:`create_collection`).

    Example:
        >>> from pymilvus import MilvusClient                       # doctest: +SKIP
        >>> store = MilvusLayerStore(MilvusClient("./idx.db"), "mom_papers_chunk")  # doctest: +SKIP
        >>> store.vector_ids()                                      # doctest: +SKIP
        []
    """

    stores_text: bool = False
    flat_metadata: bool = False
    collection: str
    keep_text: bool = False
    _milvus: Any = PrivateAttr()
    _lite: Path | None = PrivateAttr(default=None)
    _loaded: bool = PrivateAttr(default=False)
    _words: bool | None = PrivateAttr(default=None)

    def __init__(
        self, milvus: Any, collection: str, keep_text: bool = False, lite: Path | None = None
    ) -> None:
        super().__init__(  # type: ignore[call-arg]  # pydantic fields
            collection=collection, keep_text=keep_text, stores_text=keep_text
        )
        self._milvus = milvus
        self._lite = lite

    @property
    def client(self) -> Any:
        """The ``MilvusClient``."""
        return self._milvus

    def _ready(self) -> bool:
        """Whether the collection exists (loaded for search once per client)."""
        if self._loaded:
            return True
        if not self._milvus.has_collection(self.collection):
            return False
        self._milvus.load_collection(self.collection)
        self._loaded = True
        return True

    def _create(self, dim: int) -> None:
        from pymilvus import DataType, Function, FunctionType

        schema = self._milvus.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=MAX_VARCHAR)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        for name in SCALAR_FIELDS:
            schema.add_field(name, DataType.VARCHAR, max_length=MAX_VARCHAR)
        schema.add_field("node", DataType.VARCHAR, max_length=MAX_VARCHAR)
        schema.add_field("text", DataType.VARCHAR, max_length=MAX_VARCHAR)
        index = self._milvus.prepare_index_params()
        index.add_index("vector", index_type="FLAT", metric_type="COSINE")
        if self.keep_text:
            schema.add_field(
                WORDS_FIELD, DataType.VARCHAR, max_length=MAX_VARCHAR, enable_analyzer=True
            )
            schema.add_field(BM25_FIELD, DataType.SPARSE_FLOAT_VECTOR)
            schema.add_function(
                Function(
                    name="bm25",
                    function_type=FunctionType.BM25,
                    input_field_names=[WORDS_FIELD],
                    output_field_names=[BM25_FIELD],
                )
            )
            index.add_index(
                BM25_FIELD,
                index_type="SPARSE_INVERTED_INDEX",
                metric_type="BM25",
                params=BM25_PARAMS,
            )
        create_collection(self._milvus, self.collection, schema, index, self._lite)

    def _row(self, node: BaseNode) -> dict[str, Any]:
        meta = node.metadata
        row: dict[str, Any] = {
            "id": node.node_id,
            "vector": node.get_embedding(),
            "doc_id": str(meta.get("doc_id", "")),
            "op": str(meta.get("op", "")),
            "layer": str(meta.get("layer", "")),
            "node": "",
            "text": "",
        }
        if self.keep_text:
            row["node"] = json.dumps(
                node_to_metadata_dict(node, remove_text=True, flat_metadata=False),
                ensure_ascii=False,
            )
            row["text"] = node.get_content()
            if self.searches_words:
                row[WORDS_FIELD] = " ".join(terms(lexical_text(node)))
        for key, value in row.items():
            if isinstance(value, str) and len(value.encode("utf-8")) > MAX_VARCHAR:
                raise ValueError(
                    f"node {node.node_id[:80]!r}: its {key} is over {MAX_VARCHAR} bytes, "
                    "more than a Milvus VARCHAR holds (split the document, or shorten its id)"
                )
        return row

    @property
    def searches_words(self) -> bool:
        """Whether Milvus computes BM25 over this layer's words (a ``keep_text`` layer
        whose collection has the ``bm25`` field; a new one will have it)."""
        if self._words is None:
            if not self.keep_text:
                self._words = False
            elif not self._milvus.has_collection(self.collection):
                return True  # created with it on the first add
            else:
                fields = self._milvus.describe_collection(self.collection)["fields"]
                self._words = any(field["name"] == BM25_FIELD for field in fields)
        return self._words

    def add(self, nodes: Sequence[BaseNode], **add_kwargs: Any) -> list[str]:
        """Store embedded ``nodes`` (replacing rows of the same ids)."""
        if not nodes:
            return []
        if not self._ready():
            try:
                self._create(len(nodes[0].get_embedding()))
            except Exception:
                if not self._milvus.has_collection(self.collection):
                    raise
                # another writer of this index created it first (on a server)
            self._ready()
        self._milvus.upsert(self.collection, [self._row(node) for node in nodes])
        return [node.node_id for node in nodes]

    def delete(self, ref_doc_id: str, **delete_kwargs: Any) -> None:
        """Delete every row of document ``ref_doc_id``."""
        if self._ready():
            self._milvus.delete(self.collection, filter=f"doc_id == {literal(ref_doc_id)}")

    def delete_nodes(
        self,
        node_ids: list[str] | None = None,
        filters: MetadataFilters | None = None,
        **delete_kwargs: Any,
    ) -> None:
        """Delete the rows of ``node_ids`` (vector ids) that match ``filters``."""
        if node_ids is not None and not node_ids:
            return
        clauses = [] if node_ids is None else [f"id in {literal(list(node_ids))}"]
        if filters is not None and filters.filters:
            clauses.append(filter_expression(filters))
        if not clauses:
            raise ValueError("delete_nodes needs node_ids or filters (it never empties a layer)")
        if self._ready():
            self._milvus.delete(self.collection, filter=" and ".join(f"({c})" for c in clauses))

    def clear(self) -> None:
        """Drop the collection (created again by the next ``add``)."""
        if self._milvus.has_collection(self.collection):
            self._milvus.drop_collection(self.collection)
        self._loaded = False
        self._words = None

    def query(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        """The ``similarity_top_k`` nearest rows (cosine), matching ``query.filters``."""
        if query.query_embedding is None:
            raise ValueError("a Milvus layer answers embedding queries only")
        if not self._ready():
            return VectorStoreQueryResult(nodes=[], similarities=[], ids=[])
        found = self._milvus.search(
            self.collection,
            data=[list(query.query_embedding)],
            limit=min(query.similarity_top_k, MAX_TOP_K),
            filter=filter_expression(query.filters),
            output_fields=["doc_id"],
            consistency_level="Strong",
        )
        hits = found[0] if found else []
        return VectorStoreQueryResult(
            nodes=[],
            ids=[str(hit["id"]) for hit in hits],
            similarities=[float(hit["distance"]) for hit in hits],
        )

    def word_search(
        self,
        words: str,
        limit: int,
        doc_ids: Sequence[str] | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[tuple[str, float]]:
        """``(vector id, BM25 score)`` of the ``limit`` rows whose ``words`` best match
        ``words`` (terms separated by spaces), best first, with Milvus's statistics of the
        whole collection; only rows of ``doc_ids`` and with the vector ids ``ids``, where
        given (the module docstring has Milvus Lite's negated scores)."""
        if not words.strip() or limit <= 0 or not self._ready() or not self.searches_words:
            return []
        clauses = []
        if doc_ids is not None:
            clauses.append(f"doc_id in {literal(list(doc_ids))}")
        if ids is not None:
            clauses.append(f"id in {literal(list(ids))}")
        found = self._milvus.search(
            self.collection,
            data=[words],
            anns_field=BM25_FIELD,
            limit=min(limit, MAX_TOP_K),
            filter=" and ".join(f"({c})" for c in clauses),
            output_fields=["id"],
            search_params={"metric_type": "BM25"},
            consistency_level="Strong",
        )
        hits = found[0] if found else []
        return [(str(hit["id"]), abs(float(hit["distance"]))) for hit in hits]

    def count(self) -> int:
        """How many rows the collection holds (0 before the first ``add``)."""
        if not self._ready():
            return 0
        found = self._milvus.query(
            self.collection, filter="", output_fields=["count(*)"], consistency_level="Strong"
        )
        return int(found[0]["count(*)"])

    def rows_by_id(self, ids: Sequence[str], fields: Sequence[str]) -> list[dict[str, Any]]:
        """The rows of the vector ids ``ids`` that exist, with ``fields``."""
        if not ids or not self._ready():
            return []
        return list(
            self._milvus.get(
                self.collection,
                ids=list(ids),
                output_fields=list(fields),
                consistency_level="Strong",
            )
        )

    def rows(self, expression: str, fields: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Every row matching ``expression`` ("" for all), with ``fields``, page by page."""
        if self._ready():
            yield from query_rows(self._milvus, self.collection, expression, fields)

    def vector_ids(self, doc_id: str | None = None) -> list[str]:
        """The vector ids stored (of ``doc_id`` only, when given)."""
        expression = "" if doc_id is None else f"doc_id == {literal(doc_id)}"
        return [str(row["id"]) for row in self.rows(expression, ["id"])]


def milvus_token(token: str | None) -> str | None:
    """The token given, else the ``MILVUS_TOKEN`` environment variable, else None."""
    return token if token is not None else os.environ.get("MILVUS_TOKEN") or None
