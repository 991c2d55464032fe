"""Three-layer memory retrieval: documents into layer nodes, the index of the three layers
(and the chunks' sentence probes), BM25, the fusion of the evidence, and the retriever.

Example:
    >>> from mom_micro.retrievers import MemoryIndex, ThreeLayerRetriever  # doctest: +SKIP
    >>> index = MemoryIndex.from_documents(docs, persist_dir="./mom_index")  # doctest: +SKIP
    >>> index.as_retriever(similarity_top_k=4).retrieve("question")  # doctest: +SKIP
"""

from typing import TYPE_CHECKING

from mom_micro._lazy import lazy_exports

_MODULES = {
    ".chroma": ["ChromaServerUnavailable", "connect_chroma_server", "open_chroma_path"],
    ".nodes": [
        "LAYERS",
        "LAYER_CHUNK",
        "LAYER_CORE",
        "LAYER_OUTLINE",
        "BuiltNodes",
        "MemoryNodeBuilder",
        "RejectedDocument",
        "default_reader",
        "memory_to_nodes",
        "node_id_for",
    ],
    ".fusion": ["FusedScore", "LayerWeights", "fuse_layers"],
    ".lexical": ["LexicalIndex", "LexicalScores"],
    ".probes": ["INDEX_LAYERS", "LAYER_SENTENCE", "sentence_probes"],
    ".index": ["IngestReport", "MemoryIndex", "UnknownDocumentError", "default_embed_model"],
    ".retriever": ["MAX_QUERY_CHARS", "InvalidQueryError", "ThreeLayerRetriever", "check_query"],
    ".stores": ["LayerHit", "LayerStores"],
}
__getattr__, __dir__ = lazy_exports(__name__, _MODULES)
__all__ = sorted(name for names in _MODULES.values() for name in names)

if TYPE_CHECKING:  # what the names are, for type checkers and IDEs
    from .chroma import ChromaServerUnavailable, connect_chroma_server, open_chroma_path
    from .fusion import FusedScore, LayerWeights, fuse_layers
    from .index import IngestReport, MemoryIndex, UnknownDocumentError, default_embed_model
    from .lexical import LexicalIndex, LexicalScores
    from .nodes import (
        LAYER_CHUNK,
        LAYER_CORE,
        LAYER_OUTLINE,
        LAYERS,
        BuiltNodes,
        MemoryNodeBuilder,
        RejectedDocument,
        default_reader,
        memory_to_nodes,
        node_id_for,
    )
    from .probes import INDEX_LAYERS, LAYER_SENTENCE, sentence_probes
    from .retriever import MAX_QUERY_CHARS, InvalidQueryError, ThreeLayerRetriever, check_query
    from .stores import LayerHit, LayerStores
