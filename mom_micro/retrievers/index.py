"""``MemoryIndex``: the three memory layers (and the chunks' sentence probes) in a vector
store, plus a docstore, on disk."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import BaseNode, Document, MetadataMode
from llama_index.core.storage.docstore import SimpleDocumentStore
from llama_index.core.vector_stores.types import BasePydanticVectorStore

from mom_micro.errors import MomMicroError
from mom_micro.files import atomic_write_text
from mom_micro.memory import DocumentMemory, MemoryExtractor

from .chroma import connect_chroma_server, ephemeral_client, open_chroma_path
from .lexical import LexicalIndex
from .nodes import LAYER_CHUNK, BuiltNodes, MemoryNodeBuilder, RejectedDocument
from .probes import chunk_id_of_probe, sentence_probes
from .retriever import ThreeLayerRetriever
from .stores import LayerStores

__all__ = ["IngestReport", "MemoryIndex", "UnknownDocumentError", "default_embed_model"]

logger = logging.getLogger(__name__)

MARKER = "mom_index.json"
DOCSTORE = "docstore.json"
CHROMA_FOLDER = "chroma"
_FORMAT = "mom-micro-memory-index"
#: 2: the chunks' sentence probes are stored (a fourth vector layer).
_VERSION = 2


class UnknownDocumentError(MomMicroError, KeyError):
    """No document with this id is in the index."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else "unknown document"


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

    def __str__(self) -> str:
        text = (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {self.nodes} nodes, "
            f"{self.probes} sentence probes"
        )
        if self.rejected:
            text += "; rejected: " + "; ".join(f"{r.doc_id}: {r.reason}" for r in self.rejected)
        return text


@lru_cache(maxsize=2)
def default_embed_model(batch_size: int = 32) -> BaseEmbedding:
    """The bundled all-MiniLM-L6-v2 as a LlamaIndex embedding (loaded once per process)."""
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    from mom_micro.defaults import embedding_model_path

    return HuggingFaceEmbedding(
        model_name=embedding_model_path(),
        device="cpu",
        embed_batch_size=batch_size,
        normalize=True,
    )


class MemoryIndex:
    """The outline, core-content and chunk layers of many documents, searchable.

    Storage: by default an embedded Chroma (``chromadb.PersistentClient``) under
    ``persist_dir/chroma`` with one collection per layer; a Chroma server when
    ``chroma_host``/``chroma_port`` are given; or any LlamaIndex vector store passed as
    ``vector_store`` (one store for all layers, or a ``{layer: store}`` mapping with the
    layers ``outline``, ``core``, ``chunk`` and ``sentence``). Besides the memory's
    nodes, every sentence of every chunk is embedded as a probe in the ``sentence``
    layer (:mod:`mom_micro.retrievers.probes`), about three per chunk. The
    docstore (nodes, relationships, document hashes) is written atomically to
    ``persist_dir/docstore.json``, so :meth:`load` reopens the index without embedding
    anything again. Without ``persist_dir`` everything stays in memory.

    Setup:
        .. code-block:: python

            from llama_index.core import Document
            from mom_micro.retrievers import MemoryIndex

            docs = [Document(text=open(p).read(), id_=p) for p in paths]
            index = MemoryIndex.from_documents(docs, persist_dir="./mom_index")
            index = MemoryIndex.load("./mom_index")                 # later, no re-embedding
            index = MemoryIndex.from_documents(docs, persist_dir="./idx",
                                               chroma_host="127.0.0.1", chroma_port=8000)

    Example:
        .. code-block:: python

            report = index.insert(Document(text=new_text, id_="new.txt"))
            index.delete("old.txt")                 # every layer, probes included
            nodes = index.as_retriever(similarity_top_k=4).retrieve("what causes it?")

    Key params:
        reader: the memory reader (default: offline ``ExtractiveExtractor``).
        embed_model: LlamaIndex embedding (default: bundled MiniLM).
        chroma_timeout: seconds before an unreachable Chroma server is reported.
    """

    def __init__(
        self,
        stores: LayerStores,
        docstore: SimpleDocumentStore | None = None,
        embed_model: BaseEmbedding | None = None,
        builder: MemoryNodeBuilder | None = None,
        persist_dir: str | Path | None = None,
        store_config: dict[str, Any] | None = None,
        format_version: int = _VERSION,
    ) -> None:
        self.stores = stores
        self.docstore = docstore or SimpleDocumentStore()
        if stores.lookup is None:
            stores.lookup = self._hit_node
        self.embed_model = embed_model or default_embed_model()
        self.builder = builder or MemoryNodeBuilder()
        self.persist_dir = Path(persist_dir) if persist_dir is not None else None
        self.store_config = store_config or {"kind": "custom"}
        # an index read from an older format keeps saying so: new documents get probes,
        # the old ones still lack them
        self.format_version = format_version
        self.lexical = LexicalIndex()
        self.lexical.add(self._lexical_chunks(self.docstore.docs.values()))

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def _open_stores(
        cls,
        persist_dir: Path | None,
        config: dict[str, Any],
        vector_store: Mapping[str, BasePydanticVectorStore] | BasePydanticVectorStore | None,
        timeout: float,
    ) -> LayerStores:
        if vector_store is not None:
            return LayerStores(vector_store)
        kind = config["kind"]
        if kind == "chroma-server":
            client = connect_chroma_server(config["host"], config["port"], timeout=timeout)
        elif kind == "chroma-embedded":
            client = open_chroma_path(persist_dir / CHROMA_FOLDER)  # type: ignore[operator]
        elif kind == "chroma-memory":
            client = ephemeral_client()
        else:
            raise ValueError(
                f"this index was built on a user-supplied vector store ({kind}); "
                "pass the same vector_store= to MemoryIndex.load"
            )
        server = (config["host"], int(config["port"])) if kind == "chroma-server" else None
        return LayerStores.from_chroma(client, config["collection_prefix"], server=server)

    @classmethod
    def create(
        cls,
        persist_dir: str | Path | None = None,
        *,
        reader: MemoryExtractor | None = None,
        embed_model: BaseEmbedding | None = None,
        vector_store: Mapping[str, BasePydanticVectorStore] | BasePydanticVectorStore | None = None,
        chroma_host: str | None = None,
        chroma_port: int | None = None,
        collection_prefix: str | None = None,
        chroma_timeout: float = 5.0,
    ) -> MemoryIndex:
        """An empty index (see :meth:`from_documents` for the arguments)."""
        folder = Path(persist_dir) if persist_dir is not None else None
        if folder is not None:
            if (folder / MARKER).exists():
                raise FileExistsError(
                    f"{folder} already holds a memory index: open it with "
                    f"MemoryIndex.load({str(folder)!r}) and insert() into it"
                )
            if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
                raise FileExistsError(
                    f"{folder} is not empty and holds no memory index ({MARKER} missing): "
                    "choose an empty or new folder"
                )
        if (chroma_host is None) != (chroma_port is None):
            raise ValueError("give both chroma_host and chroma_port for a Chroma server")
        prefix = collection_prefix or (
            "mom" if folder is not None else f"mom_{uuid.uuid4().hex[:12]}"
        )
        if vector_store is not None:
            config: dict[str, Any] = {"kind": type(vector_store).__name__}
        elif chroma_host is not None:
            config = {
                "kind": "chroma-server",
                "host": chroma_host,
                "port": int(chroma_port),
                "collection_prefix": prefix,
            }
        elif folder is not None:
            config = {"kind": "chroma-embedded", "collection_prefix": prefix}
        else:
            config = {"kind": "chroma-memory", "collection_prefix": prefix}
        stores = cls._open_stores(folder, config, vector_store, chroma_timeout)
        builder = MemoryNodeBuilder(reader=reader)
        index = cls(stores, SimpleDocumentStore(), embed_model, builder, folder, config)
        index.persist()
        return index

    @classmethod
    def from_documents(
        cls,
        documents: Sequence[Document],
        persist_dir: str | Path | None = None,
        *,
        reader: MemoryExtractor | None = None,
        embed_model: BaseEmbedding | None = None,
        vector_store: Mapping[str, BasePydanticVectorStore] | BasePydanticVectorStore | None = None,
        chroma_host: str | None = None,
        chroma_port: int | None = None,
        collection_prefix: str | None = None,
        chroma_timeout: float = 5.0,
        show_progress: bool = False,
    ) -> MemoryIndex:
        """Read, embed and store ``documents``; the report of the ingest is ``index.last_report``.

        Args:
            documents: LlamaIndex ``Document`` s; ``id_`` is the document id.
            persist_dir: folder for the index (new or empty); None keeps it in memory.
            reader: memory reader (default: the offline ``ExtractiveExtractor``).
            embed_model: LlamaIndex embedding model (default: bundled MiniLM).
            vector_store: a LlamaIndex vector store, or ``{layer: store}``, instead of Chroma.
            chroma_host: use the Chroma server on this host instead of embedded Chroma.
            chroma_port: ... and this port.
            collection_prefix: Chroma collections are ``{prefix}_{layer}``.
            chroma_timeout: seconds before an unreachable server raises.
            show_progress: progress bars for reading and embedding.
        """
        index = cls.create(
            persist_dir,
            reader=reader,
            embed_model=embed_model,
            vector_store=vector_store,
            chroma_host=chroma_host,
            chroma_port=chroma_port,
            collection_prefix=collection_prefix,
            chroma_timeout=chroma_timeout,
        )
        index.add_documents(documents, show_progress=show_progress)
        return index

    @classmethod
    def load(
        cls,
        persist_dir: str | Path,
        *,
        reader: MemoryExtractor | None = None,
        embed_model: BaseEmbedding | None = None,
        vector_store: Mapping[str, BasePydanticVectorStore] | BasePydanticVectorStore | None = None,
        chroma_timeout: float = 5.0,
    ) -> MemoryIndex:
        """Reopen an index written by :meth:`from_documents`; nothing is re-embedded."""
        folder = Path(persist_dir)
        marker = folder / MARKER
        if not marker.is_file():
            what = (
                "does not exist"
                if not folder.exists()
                else f"holds no memory index ({MARKER} missing)"
            )
            raise FileNotFoundError(f"{folder} {what}")
        try:
            config = json.loads(marker.read_text(encoding="utf-8"))
            if config.get("format") != _FORMAT:
                raise ValueError(f"format {config.get('format')!r}")
            docstore = SimpleDocumentStore.from_dict(
                json.loads((folder / DOCSTORE).read_text(encoding="utf-8"))
            )
        except (OSError, ValueError) as exc:
            raise ValueError(f"{folder} holds a damaged memory index: {exc}") from exc
        version = int(config.get("version", 1))
        if version < _VERSION:
            logger.warning(
                "%s was built before sentence probes (index format %s): retrieval works "
                "without their evidence; re-create the index to add it",
                folder,
                version,
            )
        store_config = config["store"]
        stores = cls._open_stores(folder, store_config, vector_store, chroma_timeout)
        builder = MemoryNodeBuilder(reader=reader)
        return cls(stores, docstore, embed_model, builder, folder, store_config, version)

    @classmethod
    def open(cls, persist_dir: str | Path, **options: Any) -> MemoryIndex:
        """The index at ``persist_dir``: reopened with :meth:`load` when one is there,
        else created empty with :meth:`create` (``options`` go to whichever runs;
        ``chroma_host``, ``chroma_port`` and ``collection_prefix`` only matter on
        creation, after which the index remembers them).

        Example:
            .. code-block:: python

                index = MemoryIndex.open("./mom_index")
                index.add_documents(docs)        # unchanged documents are skipped
        """
        if (Path(persist_dir) / MARKER).is_file():
            creation_only = ("chroma_host", "chroma_port", "collection_prefix")
            options = {k: v for k, v in options.items() if k not in creation_only}
            return cls.load(persist_dir, **options)
        return cls.create(persist_dir, **options)

    # -- persistence -------------------------------------------------------------------------
    def persist(self) -> None:
        """Write the marker and the docstore (atomically); Chroma persists by itself."""
        if self.persist_dir is None:
            return
        self.persist_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.persist_dir / DOCSTORE, json.dumps(self.docstore.to_dict()))
        marker = {
            "format": _FORMAT,
            "version": self.format_version,
            "store": self.store_config,
            "embed_model": getattr(self.embed_model, "model_name", None),
        }
        atomic_write_text(self.persist_dir / MARKER, json.dumps(marker, indent=1))

    # -- contents ---------------------------------------------------------------------------
    @property
    def doc_ids(self) -> list[str]:
        """Ids of the documents in the index."""
        return sorted(self.docstore.get_all_ref_doc_info() or {})

    def __len__(self) -> int:
        return len(self.doc_ids)

    def get_node(self, node_id: str) -> BaseNode | None:
        """A stored node (any layer) by id, or None."""
        return self.docstore.get_node(node_id, raise_error=False)

    def _hit_node(self, node_id: str) -> BaseNode | None:
        """The node behind a vector-store hit: a sentence probe leads to its chunk."""
        return self.get_node(chunk_id_of_probe(node_id) or node_id)

    def _plan(self, documents: Sequence[Document], report: IngestReport) -> list[Document]:
        todo: list[Document] = []
        seen: set[str] = set()
        for doc in documents:
            if not isinstance(doc, Document):
                raise TypeError(f"expected llama_index Document, got {type(doc).__name__}")
            if doc.id_ in seen:
                raise ValueError(f"document id {doc.id_!r} appears twice in one batch")
            seen.add(doc.id_)
            old_hash = self.docstore.get_document_hash(doc.id_)
            if old_hash == doc.hash:
                report.unchanged.append(doc.id_)
                continue
            todo.append(doc)
        return todo

    def _store(
        self,
        todo: Sequence[Document],
        built: BuiltNodes,
        probes: list[BaseNode],
        embeddings: list[list[float]],
        report: IngestReport,
    ) -> IngestReport:
        nodes: list[BaseNode] = list(built.nodes)
        report.rejected, report.memories = list(built.rejected), dict(built.memories)
        rejected = {r.doc_id for r in report.rejected}
        for node, embedding in zip([*nodes, *probes], embeddings, strict=True):
            node.embedding = embedding
        for doc in todo:
            if doc.id_ in rejected:
                continue
            if self.docstore.get_document_hash(doc.id_) is not None:
                self._remove(doc.id_)
                report.updated.append(doc.id_)
            else:
                report.added.append(doc.id_)
        if nodes:
            self.stores.add([*nodes, *probes])
            stripped = [n.model_copy(update={"embedding": None}) for n in nodes]
            self.docstore.add_documents(stripped, allow_update=True)
            self.lexical.add(self._lexical_chunks(nodes))
        for doc in todo:
            if doc.id_ not in rejected:
                self.docstore.set_document_hash(doc.id_, doc.hash)
        report.nodes, report.probes = len(nodes), len(probes)
        self.persist()
        self.last_report = report
        if report.rejected:
            logger.warning("memory index: %s", report)
        return report

    @staticmethod
    def _lexical_chunks(nodes: Iterable[BaseNode]) -> Iterator[tuple[tuple[str, int], str]]:
        """``((doc_id, unit), title + text)`` of the chunk nodes, for BM25."""
        for node in nodes:
            if node.metadata.get("layer") == LAYER_CHUNK:
                key = (node.metadata["doc_id"], int(node.metadata["unit"]))
                yield key, node.get_content(metadata_mode=MetadataMode.EMBED)

    @staticmethod
    def _embed_texts(nodes: Sequence[BaseNode]) -> tuple[list[BaseNode], list[str]]:
        """The sentence probes of ``nodes``, and the texts to embed: the nodes', then the
        probes'."""
        probes = sentence_probes(nodes)
        texts = [n.get_content(metadata_mode=MetadataMode.EMBED) for n in [*nodes, *probes]]
        return probes, texts

    def add_documents(
        self, documents: Sequence[Document], show_progress: bool = False
    ) -> IngestReport:
        """Read, embed and store ``documents``. Unchanged ones (same id and hash) are
        skipped, changed ones replaced; a document the reader rejects is reported in the
        returned :class:`IngestReport` while the rest of the batch goes in."""
        report = IngestReport()
        todo = self._plan(documents, report)
        built = self.builder.build(todo, show_progress=show_progress)
        probes, texts = self._embed_texts(built.nodes)
        embeddings = (
            self.embed_model.get_text_embedding_batch(texts, show_progress=show_progress)
            if texts
            else []
        )
        return self._store(todo, built, probes, embeddings, report)

    async def aadd_documents(
        self, documents: Sequence[Document], show_progress: bool = False
    ) -> IngestReport:
        """Async :meth:`add_documents`."""
        report = IngestReport()
        todo = self._plan(documents, report)
        built = await self.builder.abuild(todo, show_progress=show_progress)
        probes, texts = self._embed_texts(built.nodes)
        embeddings = (
            await self.embed_model.aget_text_embedding_batch(texts, show_progress=show_progress)
            if texts
            else []
        )
        return self._store(todo, built, probes, embeddings, report)

    def insert(self, document: Document) -> IngestReport:
        """Add (or replace, if changed) one document; see :meth:`add_documents`."""
        return self.add_documents([document])

    def _remove(self, doc_id: str) -> None:
        self.stores.delete(doc_id)
        self.lexical.remove(doc_id)
        self.docstore.delete_ref_doc(doc_id, raise_error=False)
        self.docstore.delete_document(doc_id, raise_error=False)  # and its hash

    def delete(self, doc_id: str) -> None:
        """Remove document ``doc_id`` from every layer (probes included) and the docstore.

        Raises:
            UnknownDocumentError: no such document (the message lists a few known ids).
        """
        if self.docstore.get_document_hash(doc_id) is None:
            known = self.doc_ids
            hint = ", ".join(repr(d) for d in known[:5]) + (" ..." if len(known) > 5 else "")
            raise UnknownDocumentError(
                f"no document {doc_id!r} in the index ({len(known)} documents"
                + (f": {hint})" if known else ")")
            )
        self._remove(doc_id)
        self.persist()

    # -- retrieval ---------------------------------------------------------------------------
    def as_retriever(self, **kwargs: Any) -> ThreeLayerRetriever:
        """A :class:`ThreeLayerRetriever` over this index (keyword arguments as its own)."""
        kwargs.setdefault("lexical", self.lexical)
        return ThreeLayerRetriever(self.stores, self.embed_model, self.get_node, **kwargs)
