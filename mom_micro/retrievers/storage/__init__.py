"""Where a memory index lives and how it is written, apart from how it is searched.

- :mod:`.location` -- a folder, a Chroma server, memory or a user's vector store,
  validated once, holding one client; it opens the records and layers of a named index;
- :mod:`.catalog` -- the records: header, documents, journal entries;
- :mod:`.stores` -- the vector layers, answering plain cosine similarities;
- :mod:`.journal` -- the write lock, and recovery of interrupted writes;
- :mod:`.writer` -- plan, read, embed and store a document as a new version;
- :mod:`.integrity` -- the check before an index is served, and the repair;
- :mod:`.migration` -- folders of earlier formats rewritten before a load;
- :mod:`.reader_record` -- the memory reader an index was built with;
- :mod:`.chroma` and :mod:`.errors` -- Chroma connections, and what can go wrong;
- :mod:`.milvus` and :mod:`.milvus_store` -- an index in Milvus (a Milvus Lite file or a
  server): its location and catalog, and the connection and the layers' vector store.

These modules take the catalog, the stores and the lock and return values; they never
import the retriever, the fusion, the passage assembly or BM25 (an import-linter
contract), so a new kind of location needs no change in ingest or retrieval.

Example:
    >>> from mom_micro.retrievers.storage import index_location
    >>> index_location(None).where
    'memory'
"""

from typing import TYPE_CHECKING

from mom_micro._lazy import lazy_exports

_MODULES = {
    ".errors": [
        "IndexBusy",
        "IndexDamaged",
        "IndexExists",
        "IndexNotFound",
        "StoreUnavailable",
        "UnknownDocumentError",
    ],
    ".integrity": ["IndexCheck", "RepairReport", "check_index", "repair_index"],
    ".journal": ["Journal"],
    ".location": [
        "ChromaFolder",
        "ChromaMemory",
        "ChromaServer",
        "IndexLocation",
        "IndexParts",
        "OwnVectorStore",
        "index_location",
        "server_address",
    ],
    ".milvus": ["MilvusCatalog", "MilvusLocation"],
    ".milvus_store": ["MilvusLayerStore", "MilvusUnavailable"],
    ".writer": ["IndexWriter", "IngestReport"],
}
__getattr__, __dir__ = lazy_exports(__name__, _MODULES)
__all__ = sorted(name for names in _MODULES.values() for name in names)

if TYPE_CHECKING:  # what the names are, for type checkers and IDEs
    from .errors import (
        IndexBusy,
        IndexDamaged,
        IndexExists,
        IndexNotFound,
        StoreUnavailable,
        UnknownDocumentError,
    )
    from .integrity import IndexCheck, RepairReport, check_index, repair_index
    from .journal import Journal
    from .location import (
        ChromaFolder,
        ChromaMemory,
        ChromaServer,
        IndexLocation,
        IndexParts,
        OwnVectorStore,
        index_location,
        server_address,
    )
    from .milvus import MilvusCatalog, MilvusLocation
    from .milvus_store import MilvusLayerStore, MilvusUnavailable
    from .writer import IndexWriter, IngestReport
