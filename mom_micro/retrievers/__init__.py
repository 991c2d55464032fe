"""Three-layer memory retrieval: documents into layer nodes, the index of the three layers
(and the chunks' sentence probes) with its records, BM25, the fusion of the evidence, and
the retriever.

Example:
    >>> from mom_micro.retrievers import MemoryIndex, ThreeLayerRetriever  # doctest: +SKIP
    >>> index = MemoryIndex.from_documents(docs, persist_dir="./mom_index")  # doctest: +SKIP
    >>> index.as_retriever(similarity_top_k=4).retrieve("question")  # doctest: +SKIP
"""

from typing import TYPE_CHECKING

from mom_micro._lazy import lazy_exports

_MODULES = {
    ".assembly": ["Passage", "assemble_passages"],
    ".embed_model": ["BundledMiniLM", "default_embed_model"],
    ".storage.catalog": ["DocumentRecord"],
    ".storage.chroma": [
        "ChromaServerUnavailable",
        "ChromaServerUnsupported",
        "InvalidIndexName",
        "connect_chroma_server",
        "index_names",
        "open_chroma_path",
    ],
    ".fusion": ["FusedScore", "LayerWeights", "fuse_layers"],
    ".index": [
        "IndexBusy",
        "IndexCheck",
        "IndexDamaged",
        "IndexExists",
        "IndexNotFound",
        "IngestReport",
        "MemoryIndex",
        "ReaderMismatch",
        "RepairReport",
        "SettingMismatch",
        "UnknownDocumentError",
    ],
    ".lexical": ["LexicalIndex", "LexicalScores"],
    ".nodes": [
        "INDEX_LAYERS",
        "LAYERS",
        "LAYER_CHUNK",
        "LAYER_CORE",
        "LAYER_OUTLINE",
        "LAYER_SENTENCE",
        "BuiltNodes",
        "MemoryNodeBuilder",
        "RejectedDocument",
        "default_reader",
        "memory_to_nodes",
        "node_id_for",
    ],
    ".probes": ["sentence_probes"],
    ".retriever": ["MAX_QUERY_CHARS", "InvalidQueryError", "ThreeLayerRetriever", "check_query"],
    ".storage.stores": ["LayerHit", "LayerStores"],
}
__getattr__, __dir__ = lazy_exports(__name__, _MODULES)
__all__ = sorted(name for names in _MODULES.values() for name in names)

if TYPE_CHECKING:  # what the names are, for type checkers and IDEs
    from .assembly import Passage, assemble_passages
    from .embed_model import BundledMiniLM, default_embed_model
    from .fusion import FusedScore, LayerWeights, fuse_layers
    from .index import (
        IndexBusy,
        IndexCheck,
        IndexDamaged,
        IndexExists,
        IndexNotFound,
        IngestReport,
        MemoryIndex,
        ReaderMismatch,
        RepairReport,
        SettingMismatch,
        UnknownDocumentError,
    )
    from .lexical import LexicalIndex, LexicalScores
    from .nodes import (
        INDEX_LAYERS,
        LAYER_CHUNK,
        LAYER_CORE,
        LAYER_OUTLINE,
        LAYER_SENTENCE,
        LAYERS,
        BuiltNodes,
        MemoryNodeBuilder,
        RejectedDocument,
        default_reader,
        memory_to_nodes,
        node_id_for,
    )
    from .probes import sentence_probes
    from .retriever import MAX_QUERY_CHARS, InvalidQueryError, ThreeLayerRetriever, check_query
    from .storage.catalog import DocumentRecord
    from .storage.chroma import (
        ChromaServerUnavailable,
        ChromaServerUnsupported,
        InvalidIndexName,
        connect_chroma_server,
        index_names,
        open_chroma_path,
    )
    from .storage.stores import LayerHit, LayerStores
