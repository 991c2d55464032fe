"""Three-layer memory retrieval: the index of the three layers and its retriever.

Example:
    >>> from mom_micro.retrievers import MemoryIndex, ThreeLayerRetriever  # doctest: +SKIP
    >>> index = MemoryIndex.from_documents(docs, persist_dir="./mom_index")  # doctest: +SKIP
    >>> index.as_retriever(similarity_top_k=4).retrieve("question")  # doctest: +SKIP
"""

from .chroma import ChromaServerUnavailable, connect_chroma_server, open_chroma_path
from .fusion import FusedScore, LayerWeights, fuse_layers
from .index import IngestReport, MemoryIndex, UnknownDocumentError, default_embed_model
from .retriever import MAX_QUERY_CHARS, InvalidQueryError, ThreeLayerRetriever, check_query
from .stores import LayerHit, LayerStores

__all__ = [
    "MAX_QUERY_CHARS",
    "ChromaServerUnavailable",
    "FusedScore",
    "IngestReport",
    "InvalidQueryError",
    "LayerHit",
    "LayerStores",
    "LayerWeights",
    "MemoryIndex",
    "ThreeLayerRetriever",
    "UnknownDocumentError",
    "check_query",
    "connect_chroma_server",
    "default_embed_model",
    "fuse_layers",
    "open_chroma_path",
]
