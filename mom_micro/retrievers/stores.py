"""The vector stores behind the memory layers.

:class:`LayerStores` hides whether the layers (outline, core, chunk, and the chunks'
sentence probes) live in separate stores (the default: one Chroma collection per layer)
or in one shared store whose nodes carry ``layer`` metadata (any LlamaIndex vector store
a user passes). Every query returns plain
cosine similarities, whatever the store's own score convention.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from llama_index.core.schema import BaseNode
from llama_index.core.vector_stores.types import (
    BasePydanticVectorStore,
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
)

from .chroma import COSINE_SPACE, ChromaServerUnavailable, chroma_distance_to_cosine
from .probes import INDEX_LAYERS

__all__ = ["ADD_BATCH", "LayerHit", "LayerStores", "cosine_converter"]

#: Nodes per ``add`` call to a vector store (what LlamaIndex's own indexes insert at once).
ADD_BATCH = 2048


@dataclass(frozen=True)
class LayerHit:
    """One node found in one layer: its id, metadata (``doc_id``, ``unit``, ...), cosine
    similarity to the query, and the node itself when the store sent it (a Chroma store
    is asked for ids and metadata only; the retriever fetches the few nodes it returns
    from the docstore)."""

    node_id: str
    metadata: Mapping[str, Any]
    cosine: float
    node: BaseNode | None = None


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


class LayerStores:
    """The outline, core, chunk and sentence-probe layers' vector stores.

    Args:
        stores: a mapping ``{"outline": store, "core": store, "chunk": store,
            "sentence": store}`` or a single store shared by all layers (queries then
            filter on ``layer``).
        lookup: node id -> node, for stores that return ids without text
            (``stores_text=False``, e.g. LlamaIndex's ``SimpleVectorStore``).
        server: ``(host, port)`` of the Chroma server behind the stores, if any: a lost
            connection is then reported as :class:`ChromaServerUnavailable`.
    """

    def __init__(
        self,
        stores: Mapping[str, BasePydanticVectorStore] | BasePydanticVectorStore,
        lookup: Callable[[str], BaseNode | None] | None = None,
        server: tuple[str, int] | None = None,
    ):
        self.lookup = lookup
        self.server = server
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
        prefix: str,
        lookup: Callable[[str], BaseNode | None] | None = None,
        server: tuple[str, int] | None = None,
    ) -> LayerStores:
        """One cosine-space collection per layer, ``{prefix}_{layer}``, in the Chroma
        ``client`` (created when missing).

        Example:
            >>> from mom_micro.retrievers.chroma import ephemeral_client
            >>> stores = LayerStores.from_chroma(ephemeral_client(), "doctest")
            >>> stores.store("chunk").client.name
            'doctest_chunk'
        """
        from llama_index.vector_stores.chroma import ChromaVectorStore

        return cls(
            {
                layer: ChromaVectorStore(
                    chroma_collection=client.get_or_create_collection(
                        f"{prefix}_{layer}", metadata=dict(COSINE_SPACE)
                    )
                )
                for layer in INDEX_LAYERS
            },
            lookup=lookup,
            server=server,
        )

    def store(self, layer: str) -> BasePydanticVectorStore:
        """The store holding ``layer``."""
        return self._stores[layer]

    def add(self, nodes: Sequence[BaseNode]) -> None:
        """Add embedded nodes, each to its layer's store, at most :data:`ADD_BATCH` at a
        time (Chroma refuses larger batches — 5,461 in chromadb 1.5 — and LlamaIndex's
        Chroma adapter does not split them that finely)."""
        by_layer: dict[str, list[BaseNode]] = {layer: [] for layer in INDEX_LAYERS}
        for node in nodes:
            by_layer[node.metadata["layer"]].append(node)
        if self.shared:
            by_store = {INDEX_LAYERS[0]: [n for layer in INDEX_LAYERS for n in by_layer[layer]]}
        else:
            by_store = by_layer
        for layer, layer_nodes in by_store.items():
            for start in range(0, len(layer_nodes), ADD_BATCH):
                self._stores[layer].add(layer_nodes[start : start + ADD_BATCH])

    def delete(self, doc_id: str) -> None:
        """Remove every node of document ``doc_id`` from every layer."""
        seen: set[int] = set()
        for store in self._stores.values():
            if id(store) not in seen:
                seen.add(id(store))
                store.delete(ref_doc_id=doc_id)

    def _query(
        self, layer: str, embedding: list[float], k: int, doc_ids: Sequence[str] | None
    ) -> VectorStoreQuery:
        filters: list[MetadataFilter] = []
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

    def _hits(self, layer: str, result: object) -> list[LayerHit]:
        nodes = getattr(result, "nodes", None) or []
        sims = getattr(result, "similarities", None) or []
        if not nodes and getattr(result, "ids", None) and self.lookup is not None:
            found = [(self.lookup(i), s) for i, s in zip(result.ids, sims)]
            nodes = [n for n, _ in found if n is not None]
            sims = [s for n, s in found if n is not None]
        convert = self._to_cosine[layer]
        return [
            LayerHit(node.node_id, node.metadata, convert(sim), node)
            for node, sim in zip(nodes, sims)
        ]

    def _chroma_where(self, layer: str, doc_ids: Sequence[str] | None) -> dict | None:
        clauses: list[dict] = []
        if self.shared:
            clauses.append({"layer": layer})
        if doc_ids is not None:
            ids = list(doc_ids)
            clauses.append({"doc_id": ids[0] if len(ids) == 1 else {"$in": ids}})
        return None if not clauses else clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def _chroma_hits(
        self, layer: str, embedding: list[float], k: int, doc_ids: Sequence[str] | None
    ) -> list[LayerHit]:
        """Ask the Chroma collection for ids, metadata and distances only: building
        LlamaIndex nodes from every hit's stored JSON cost more than the search."""
        result = self._chroma[layer].query(
            query_embeddings=[embedding],
            n_results=k,
            where=self._chroma_where(layer, doc_ids),
            include=["metadatas", "distances"],
        )
        convert = self._to_cosine[layer]
        return [
            LayerHit(node_id, metadata, convert(math.exp(-distance)))
            for node_id, metadata, distance in zip(
                result["ids"][0], result["metadatas"][0], result["distances"][0]
            )
        ]

    def _search(
        self, layer: str, embedding: list[float], k: int, doc_ids: Sequence[str] | None
    ) -> list[LayerHit]:
        if layer in self._chroma and self.lookup is not None:
            return self._chroma_hits(layer, embedding, k, doc_ids)
        return self._hits(
            layer, self._stores[layer].query(self._query(layer, embedding, k, doc_ids))
        )

    def query(
        self, layer: str, embedding: list[float], k: int, doc_ids: Sequence[str] | None = None
    ) -> list[LayerHit]:
        """The ``k`` nodes of ``layer`` nearest to ``embedding`` (optionally within
        ``doc_ids``), best first, with cosine similarities."""
        if k <= 0 or (doc_ids is not None and not doc_ids):
            return []
        try:
            return self._search(layer, embedding, k, doc_ids)
        except Exception as exc:
            raise self._server_error(exc) from exc

    def _server_error(self, exc: Exception) -> Exception:
        """``exc``, or :class:`ChromaServerUnavailable` if it is a lost server connection."""
        import httpx

        if self.server is not None and isinstance(exc, (httpx.TransportError, ConnectionError)):
            return ChromaServerUnavailable(*self.server, f"{type(exc).__name__}: {exc}")
        return exc

    async def aquery(
        self, layer: str, embedding: list[float], k: int, doc_ids: Sequence[str] | None = None
    ) -> list[LayerHit]:
        """Async :meth:`query` (the store's ``aquery``, or the sync one in a thread)."""
        if k <= 0 or (doc_ids is not None and not doc_ids):
            return []
        store = self._stores[layer]
        try:
            if type(store).aquery is BasePydanticVectorStore.aquery or layer in self._chroma:
                return await asyncio.to_thread(self._search, layer, embedding, k, doc_ids)
            return self._hits(layer, await store.aquery(self._query(layer, embedding, k, doc_ids)))
        except Exception as exc:
            raise self._server_error(exc) from exc
