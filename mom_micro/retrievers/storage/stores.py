"""The vector stores behind the memory layers.

:class:`LayerStores` hides whether the layers (outline, core, chunk, and the chunks'
sentence probes) live in separate stores (one Chroma collection per layer) or in one
shared store whose nodes carry ``layer`` metadata (any LlamaIndex vector store a user
passes). Every query returns plain cosine similarities, whatever the store's own score
convention.

Vectors are stored per document *version*: a node's vector id is ``node_id@op``
(:func:`~mom_micro.retrievers.nodes.versioned_id`), and the index decides which version
of each document is visible (:mod:`mom_micro.retrievers.storage.catalog`). A hit is read from its
id alone -- document, layer, unit and version -- so every store answers the same way, and
a Chroma collection is asked for ids and distances only.

A store that can list its vector ids -- a Chroma collection, or any store with a
``vector_ids(doc_id=None)`` method (:class:`ListsVectorIds`, e.g.
:class:`~mom_micro.retrievers.storage.milvus_store.MilvusLayerStore`) -- lets the
integrity check count every document's vectors; other stores are checked by their
records only.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from llama_index.core.schema import BaseNode
from llama_index.core.vector_stores.types import (
    BasePydanticVectorStore,
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
)
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from ..nodes import INDEX_LAYERS, parse_node_id, split_versioned_id, versioned_id
from .chroma import COSINE_SPACE, chroma_distance_to_cosine, reporting_server_errors

__all__ = [
    "ADD_BATCH",
    "CountsVectors",
    "LayerHit",
    "LayerStores",
    "ListsVectorIds",
    "SearchesWords",
    "cosine_converter",
]

#: Nodes per ``add`` call to a vector store (what LlamaIndex's own indexes insert at once).
ADD_BATCH = 2048
#: Chroma returns at most this many records per ``get`` here (SQLite's variable limit).
_PAGE = 5000

Visible = Callable[[str, str], bool]


@dataclass(frozen=True)
class LayerHit:
    """One node found in one layer: its (canonical) id, ``doc_id``, ``unit`` and the
    version ``op`` it belongs to, and its cosine similarity to the query."""

    node_id: str
    doc_id: str
    unit: int
    op: str
    cosine: float

    @property
    def metadata(self) -> dict[str, Any]:
        """``{"doc_id": ..., "unit": ...}``, as the layer nodes carry them."""
        return {"doc_id": self.doc_id, "unit": self.unit}


@runtime_checkable
class ListsVectorIds(Protocol):
    """A vector store that can list the ids it holds (all, or one document's)."""

    def vector_ids(self, doc_id: str | None = None) -> list[str]:
        """The vector ids stored (of ``doc_id`` only, when given)."""
        ...


@runtime_checkable
class CountsVectors(Protocol):
    """A vector store that counts its vectors without listing them."""

    def count(self) -> int:
        """How many vectors the store holds."""
        ...


@runtime_checkable
class SearchesWords(Protocol):
    """A vector store that computes BM25 over its nodes' words itself (e.g.
    :class:`~mom_micro.retrievers.storage.milvus_store.MilvusLayerStore`'s chunk layer)."""

    @property
    def searches_words(self) -> bool:
        """Whether this store's collection has the words to search."""
        ...

    def word_search(
        self,
        words: str,
        limit: int,
        doc_ids: Sequence[str] | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[tuple[str, float]]:
        """``(vector id, BM25 score)`` of the best ``limit`` matches of ``words`` (terms
        joined by spaces), within ``doc_ids`` and ``ids`` where given, best first."""
        ...


def _chroma_collection(store: BasePydanticVectorStore) -> Any | None:
    """The Chroma collection behind a LlamaIndex ``ChromaVectorStore`` (its public
    ``client`` property), or None for any other store."""
    if type(store).__name__ != "ChromaVectorStore":
        return None
    return getattr(store, "client", None)


def cosine_converter(store: BasePydanticVectorStore) -> Callable[[float], float]:
    """How to turn ``store``'s similarity into a cosine.

    ``ChromaVectorStore`` reports ``exp(-distance)``; its collection's ``hnsw:space``
    says which distance. Other LlamaIndex stores report cosine similarity already.
    """
    collection = _chroma_collection(store)
    if collection is None:
        return float
    space = "l2"
    try:
        space = (collection.metadata or {}).get("hnsw:space", space)
        config = getattr(collection, "configuration_json", None) or {}
        space = (config.get("hnsw") or {}).get("space") or space
    except Exception:  # configuration layouts differ between chromadb versions
        pass
    return lambda similarity: chroma_distance_to_cosine(similarity, space)


def _transient(exc: BaseException) -> bool:
    """A Chroma read that fails only because the server is writing the layer's vector
    index right now: a Chroma server queried while another client adds to a collection
    for the first time answers "Error creating hnsw segment reader: Nothing found on
    disk" until its first flush; asked again a moment later, it answers."""
    return type(exc).__name__ == "InternalError" and "Nothing found on disk" in str(exc)


#: Retries of a transiently failing Chroma query: 5 attempts within about 3 seconds.
_RETRY = Retrying(
    retry=retry_if_exception(_transient),
    stop=stop_after_attempt(5),
    wait=wait_exponential(multiplier=0.2, max=1.5),
    reraise=True,
)


def _hit(vector_id: str, cosine: float) -> LayerHit | None:
    node_id, op = split_versioned_id(vector_id)
    parsed = parse_node_id(node_id)
    if parsed is None:
        return None  # not a memory node: ignore what someone else stored here
    doc_id, _, unit = parsed
    return LayerHit(node_id, doc_id, unit, op, cosine)


#: A search is widened (asked for twice as many hits) until it finds ``k`` visible ones,
#: up to this many times ``k`` (:meth:`LayerStores._search`).
_MAX_WIDENING = 16


class LayerStores:
    """The outline, core, chunk and sentence-probe layers' vector stores.

    Args:
        stores: a mapping ``{"outline": store, "core": store, "chunk": store,
            "sentence": store}`` or a single store shared by all layers (queries then
            filter on ``layer``).
        server: ``(host, port)`` of the Chroma server behind the stores, if any: a lost
            connection is then reported as
            :class:`~mom_micro.retrievers.storage.chroma.ChromaServerUnavailable`.
        visible: ``(doc_id, op) -> bool``, which document versions queries may return
            (the index sets it to its committed versions); None: every vector.
        reporting: how another database's lost connection is reported (a context
            manager factory, e.g. the Milvus location's); None: as for ``server``.
    """

    def __init__(
        self,
        stores: Mapping[str, BasePydanticVectorStore] | BasePydanticVectorStore,
        server: tuple[str, int] | None = None,
        visible: Visible | None = None,
        reporting: Callable[[], AbstractContextManager[None]] | None = None,
    ):
        self.server = server
        self.visible = visible
        self._report = reporting
        if isinstance(stores, Mapping):
            missing = [layer for layer in INDEX_LAYERS if layer not in stores]
            if missing:
                raise ValueError(f"no vector store given for layer(s) {missing}")
            self._stores = {layer: stores[layer] for layer in INDEX_LAYERS}
            self.shared = len({id(s) for s in self._stores.values()}) == 1
        else:
            self._stores = {layer: stores for layer in INDEX_LAYERS}
            self.shared = True
        self._to_cosine = {layer: cosine_converter(s) for layer, s in self._stores.items()}
        self._chroma = {
            layer: collection
            for layer, s in self._stores.items()
            if (collection := _chroma_collection(s)) is not None
        }

    @classmethod
    def from_chroma(
        cls,
        client: Any,
        names: Mapping[str, str],
        server: tuple[str, int] | None = None,
        create: bool = True,
    ) -> LayerStores:
        """One cosine-space collection per layer, ``names[layer]``, in the Chroma
        ``client`` (created when missing, unless ``create`` is False).

        Example:
            >>> from mom_micro.retrievers.storage.chroma import ephemeral_client
            >>> names = {layer: f"doctest-{layer}" for layer in INDEX_LAYERS}
            >>> LayerStores.from_chroma(ephemeral_client(), names).store("chunk").client.name
            'doctest-chunk'
        """
        from llama_index.vector_stores.chroma import ChromaVectorStore

        def collection(name: str) -> Any:
            if create:
                return client.get_or_create_collection(name, metadata=dict(COSINE_SPACE))
            return client.get_collection(name)

        return cls(
            {
                layer: ChromaVectorStore(chroma_collection=collection(names[layer]))
                for layer in INDEX_LAYERS
            },
            server=server,
        )

    @property
    def chroma(self) -> bool:
        """Whether every layer is a Chroma collection."""
        return len(self._chroma) == len(INDEX_LAYERS)

    def store(self, layer: str) -> BasePydanticVectorStore:
        """The store holding ``layer``."""
        return self._stores[layer]

    def _reporting(self) -> AbstractContextManager[None]:
        """Report a lost server connection as one line naming the server
        (:class:`ChromaServerUnavailable`, or what ``reporting`` raises)."""
        if self._report is not None:
            return self._report()
        return reporting_server_errors(self.server)

    # -- writing --------------------------------------------------------------------------
    def add(self, nodes: Sequence[BaseNode], op: str) -> None:
        """Add embedded nodes as version ``op`` (ids ``node_id@op``, metadata ``op``), each
        to its layer's store, at most :data:`ADD_BATCH` at a time (Chroma refuses larger
        batches -- 5,461 in chromadb 1.5 -- and LlamaIndex's Chroma adapter does not split
        them that finely)."""
        by_layer: dict[str, list[BaseNode]] = {layer: [] for layer in INDEX_LAYERS}
        for node in nodes:
            copy = node.model_copy(update={"id_": versioned_id(node.node_id, op)})
            copy.metadata = {**node.metadata, "op": op}
            copy.excluded_embed_metadata_keys = [*node.excluded_embed_metadata_keys, "op"]
            copy.excluded_llm_metadata_keys = [*node.excluded_llm_metadata_keys, "op"]
            by_layer[node.metadata["layer"]].append(copy)
        if self.shared:
            by_store = {INDEX_LAYERS[0]: [n for layer in INDEX_LAYERS for n in by_layer[layer]]}
        else:
            by_store = by_layer
        with self._reporting():
            for layer, layer_nodes in by_store.items():
                for start in range(0, len(layer_nodes), ADD_BATCH):
                    self._stores[layer].add(layer_nodes[start : start + ADD_BATCH])

    def delete_versions(self, doc_id: str, keep: Collection[str] = ()) -> None:
        """Delete every stored vector of document ``doc_id`` except those of the
        versions in ``keep`` (all of them when ``keep`` is empty)."""
        kept = set(keep)
        with self._reporting():
            for store in self._distinct():
                collection = _chroma_collection(store)
                if collection is not None:
                    ids = [
                        vector_id
                        for vector_id in self._chroma_ids(collection, doc_id)
                        if split_versioned_id(vector_id)[1] not in kept
                    ]
                    for start in range(0, len(ids), _PAGE):
                        collection.delete(ids=ids[start : start + _PAGE])
                    continue
                filters: list[MetadataFilter | MetadataFilters] = [
                    MetadataFilter(key="doc_id", value=doc_id)
                ]
                if kept:
                    filters.append(
                        MetadataFilter(key="op", value=sorted(kept), operator=FilterOperator.NIN)
                    )
                store.delete_nodes(
                    filters=MetadataFilters(filters=filters, condition=FilterCondition.AND)
                )

    def _distinct(self) -> list[BasePydanticVectorStore]:
        seen: dict[int, BasePydanticVectorStore] = {}
        for store in self._stores.values():
            seen.setdefault(id(store), store)
        return list(seen.values())

    @staticmethod
    def _chroma_ids(collection: Any, doc_id: str | None = None) -> list[str]:
        ids: list[str] = []
        offset = 0
        where = {"doc_id": doc_id} if doc_id is not None else None
        while True:
            page = collection.get(where=where, include=[], limit=_PAGE, offset=offset)
            ids += page["ids"]
            if len(page["ids"]) < _PAGE:
                return ids
            offset += _PAGE

    def _layer_ids(self, layer: str) -> list[str] | None:
        """Every vector id ``layer``'s store holds, or None if it cannot list them."""
        if layer in self._chroma:
            return self._chroma_ids(self._chroma[layer])
        store = self._stores[layer]
        return store.vector_ids() if isinstance(store, ListsVectorIds) else None

    def vector_totals(self) -> dict[str, int] | None:
        """How many vectors each layer holds, counted by the stores without listing them;
        None unless every layer has a store of its own that counts (:class:`CountsVectors`)."""
        if self.shared or not all(isinstance(s, CountsVectors) for s in self._stores.values()):
            return None
        with self._reporting():
            return {layer: self._stores[layer].count() for layer in INDEX_LAYERS}  # type: ignore[attr-defined]

    def vector_counts(self) -> dict[str, Counter[tuple[str, str]]] | None:
        """Per layer, how many vectors each ``(doc_id, op)`` has (read from the ids); None
        for a store that cannot list its ids (a user's own LlamaIndex store)."""
        counts: dict[str, Counter[tuple[str, str]]] = {}
        with self._reporting():
            for layer in INDEX_LAYERS:
                ids = self._layer_ids(layer)
                if ids is None:
                    return None
                counter: Counter[tuple[str, str]] = Counter()
                for vector_id in ids:
                    node_id, op = split_versioned_id(vector_id)
                    parsed = parse_node_id(node_id)
                    if parsed is not None and parsed[1] == layer:
                        counter[(parsed[0], op)] += 1
                counts[layer] = counter
        return counts

    # -- searching --------------------------------------------------------------------------
    def _query(
        self, layer: str, embedding: list[float], k: int, doc_ids: Sequence[str] | None
    ) -> VectorStoreQuery:
        filters: list[MetadataFilter | MetadataFilters] = []
        if self.shared:
            filters.append(MetadataFilter(key="layer", value=layer))
        if doc_ids is not None:
            ids = list(doc_ids)
            if len(ids) == 1:
                filters.append(MetadataFilter(key="doc_id", value=ids[0]))
            else:
                filters.append(MetadataFilter(key="doc_id", value=ids, operator=FilterOperator.IN))
        return VectorStoreQuery(
            query_embedding=embedding,
            similarity_top_k=k,
            filters=MetadataFilters(filters=filters, condition=FilterCondition.AND)
            if filters
            else None,
        )

    def _keep(self, hits: list[LayerHit | None], n: int, k: int) -> list[LayerHit] | None:
        """The first ``k`` visible ``hits`` of a search asked for ``n``; None when it must
        be asked for more (it filled its ``n`` places, and fewer than ``k`` are visible)."""
        visible = self.visible
        kept = [h for h in hits if h is not None and (visible is None or visible(h.doc_id, h.op))]
        if len(kept) < k and len(hits) >= n and n < k * _MAX_WIDENING:
            return None
        return kept[:k]

    def _hits(self, layer: str, result: object, n: int, k: int) -> list[LayerHit] | None:
        ids = getattr(result, "ids", None)
        if not ids:
            ids = [node.node_id for node in getattr(result, "nodes", None) or []]
        sims = getattr(result, "similarities", None) or []
        convert = self._to_cosine[layer]
        return self._keep([_hit(i, convert(s)) for i, s in zip(ids, sims)], n, k)

    def _chroma_where(self, layer: str, doc_ids: Sequence[str] | None) -> dict | None:
        clauses: list[dict] = []
        if self.shared:
            clauses.append({"layer": layer})
        if doc_ids is not None:
            ids = list(doc_ids)
            clauses.append({"doc_id": ids[0] if len(ids) == 1 else {"$in": ids}})
        return None if not clauses else clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def _chroma_hits(
        self, layer: str, embedding: list[float], n: int, k: int, doc_ids: Sequence[str] | None
    ) -> list[LayerHit] | None:
        """Ask the Chroma collection for ``n`` ids and distances only: the id says
        everything the fusion needs, and building nodes from every hit's stored JSON cost
        more than the search."""
        result = _RETRY(
            self._chroma[layer].query,
            query_embeddings=[embedding],
            n_results=n,
            where=self._chroma_where(layer, doc_ids),
            include=["distances"],
        )
        convert = self._to_cosine[layer]
        return self._keep(
            [
                _hit(vector_id, convert(math.exp(-distance)))
                for vector_id, distance in zip(result["ids"][0], result["distances"][0])
            ],
            n,
            k,
        )

    def _search(
        self, layer: str, embedding: list[float], k: int, doc_ids: Sequence[str] | None
    ) -> list[LayerHit]:
        """The ``k`` best visible hits. Vectors of a write in flight, or of a superseded
        version not yet deleted, are near copies of the committed ones: they would take
        places of the top ``k`` and push committed evidence out, so the search is asked
        again for twice as many until ``k`` visible hits are found (at most
        ``_MAX_WIDENING`` times ``k``). An unchanged committed index then answers the same
        whatever a killed writer left behind."""
        n = k
        while True:
            if layer in self._chroma:
                found = self._chroma_hits(layer, embedding, n, k, doc_ids)
            else:
                query = self._query(layer, embedding, n, doc_ids)
                found = self._hits(layer, self._stores[layer].query(query), n, k)
            if found is not None:
                return found
            n *= 2

    def query(
        self, layer: str, embedding: list[float], k: int, doc_ids: Sequence[str] | None = None
    ) -> list[LayerHit]:
        """The ``k`` nodes of ``layer`` nearest to ``embedding`` (optionally within
        ``doc_ids``), best first, with cosine similarities; only the versions
        ``visible`` allows."""
        if k <= 0 or (doc_ids is not None and not doc_ids):
            return []
        with self._reporting():
            return self._search(layer, embedding, k, doc_ids)

    async def aquery(
        self, layer: str, embedding: list[float], k: int, doc_ids: Sequence[str] | None = None
    ) -> list[LayerHit]:
        """Async :meth:`query` (the store's ``aquery``, or the sync one in a thread)."""
        if k <= 0 or (doc_ids is not None and not doc_ids):
            return []
        store = self._stores[layer]
        with self._reporting():
            if type(store).aquery is BasePydanticVectorStore.aquery or layer in self._chroma:
                return await asyncio.to_thread(self._search, layer, embedding, k, doc_ids)
            n = k
            while True:  # as in _search
                found = self._hits(
                    layer, await store.aquery(self._query(layer, embedding, n, doc_ids)), n, k
                )
                if found is not None:
                    return found
                n *= 2
