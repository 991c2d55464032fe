"""``MemoryIndex``: the three memory layers (and the chunks' sentence probes) of many
documents, with their records, in Chroma or any LlamaIndex vector store.

An index is a **name in a store**. Its vectors live in one collection per layer and its
records -- header, documents, journal (:mod:`mom_micro.retrievers.storage.catalog`) -- beside
them, so that:

- **embedded** (the default): a folder holds a Chroma database (``chroma/``) and a small
  marker file; ``MemoryIndex.open("./idx")`` reopens it;
- **a Chroma server** holds everything: any client with the host, the port and the index
  name can query, insert and delete (``MemoryIndex.open(index_name="papers",
  chroma_host=..., chroma_port=...)``), and indexes of other names never share a
  collection;
- **Milvus** likewise (``MemoryIndex.open(index_name="papers", milvus_uri=...)``): a
  Milvus Lite file (``./idx.db``, one process at a time) or a Milvus server
  (:mod:`mom_micro.retrievers.storage.milvus`);
- **a user's own LlamaIndex vector store** (``vector_store=``) keeps the vectors, and a
  JSON catalog in the folder (or in memory) the records and the chunk texts.

Writes are journaled (the catalog's module docstring): a document becomes visible only
when all its layers are stored, an interrupted write is finished or rolled back by the
next writer (:meth:`MemoryIndex.recover`), and re-ingesting compares what is stored, not
just the hash. In a folder, one process writes at a time (a file lock, ``filelock``);
a second writer waits up to ``lock_timeout`` seconds, then is refused. On a server,
writers of different documents run side by side.

Opening checks that the records and the vector layers agree; a damaged index is
refused with one line that says what is damaged and how to repair it
(:meth:`MemoryIndex.repair`, ``mom-micro repair``). Folders written by earlier versions
(``docstore.json``) are migrated on first open.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.callbacks import CallbackManager
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import BaseNode, Document, TextNode

from mom_micro.errors import MomMicroError
from mom_micro.memory import MemoryExtractor, describe_reader

from .committed import CommittedDocuments
from .embed_model import BatchEmbed, default_embed_model
from .fusion import LayerWeights
from .lexical import LexicalSearch
from .nodes import LAYER_CHUNK, MemoryNodeBuilder, default_reader
from .retriever import MAX_QUERY_CHARS, ThreeLayerRetriever
from .storage.catalog import DocumentRecord, PendingOperation
from .storage.chroma import check_index_name
from .storage.errors import (
    IndexBusy,
    IndexDamaged,
    IndexExists,
    IndexNotFound,
    ReaderMismatch,
    UnknownDocumentError,
)
from .storage.integrity import IndexCheck, RepairReport, check_index, repair_index
from .storage.journal import Journal, hold_lock
from .storage.location import (
    DEFAULT_NAME,
    FORMAT,
    IndexLocation,
    IndexParts,
    VectorStoreArg,
    index_location,
    new_header,
)
from .storage.migration import current_marker
from .storage.reader_record import choose_reader, require_reader
from .storage.writer import IndexWriter, IngestReport

if TYPE_CHECKING:
    from .ray_ingest import RayIngest

__all__ = [
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
]


logger = logging.getLogger(__name__)


class SettingMismatch(MomMicroError, ValueError):
    """An option that is fixed when an index is created (``keep_markup``,
    ``sentence_probes``) was given with another value than the stored one."""


#: The options of :meth:`MemoryIndex.create` that are stored with the index and cannot
#: change afterwards: every document must be read and probed the same way.
FIXED_SETTINGS = ("keep_markup", "sentence_probes")

#: The options of :meth:`MemoryIndex.open` that say where the index lives, and those
#: that go on to :meth:`MemoryIndex.load` (or, but the last two, to ``create``).
_LOCATION_OPTIONS = (
    "vector_store",
    "chroma_host",
    "chroma_port",
    "chroma_timeout",
    "milvus_uri",
    "milvus_token",
)
_LOAD_OPTIONS = ("index_name", "reader", "embed_model", "lock_timeout", "replace_reader", "check")

#: How a new index's header names the default embedding model.
BUNDLED = "all-MiniLM-L6-v2 (bundled)"


@contextmanager
def _closed_on_error(location: IndexLocation) -> Iterator[None]:
    """Close ``location`` when opening an index on it fails (a Milvus Lite file stays
    free for other processes)."""
    try:
        yield
    except BaseException:
        location.close()
        raise


class MemoryIndex:
    """The outline, core-content and chunk layers of many documents, searchable.

    Every sentence of every chunk is also embedded as a probe in a fourth vector layer
    (:mod:`mom_micro.retrievers.probes`). Where the index lives, how writes stay whole and
    how a damaged index is reported: see the module docstring; the storage itself is
    :mod:`mom_micro.retrievers.storage`.

    Setup:
        .. code-block:: python

            from llama_index.core import Document
            from mom_micro.retrievers import MemoryIndex

            docs = [Document(text=open(p).read(), id_=p) for p in paths]
            index = MemoryIndex.from_documents(docs, persist_dir="./mom_index")
            index = MemoryIndex.open("./mom_index")              # later: no re-embedding
            index = MemoryIndex.open(index_name="papers", chroma_host="127.0.0.1",
                                     chroma_port=8000)           # a shared server index

    Example:
        .. code-block:: python

            report = index.insert(Document(text=new_text, id_="new.txt"))
            index.delete("old.txt")                 # every layer, probes included
            nodes = index.as_retriever(similarity_top_k=4).retrieve("what causes it?")

    Key params:
        reader: the memory reader (default: offline ``ExtractiveExtractor``); stored with
            the index and rebuilt on open when it is the extractive one.
        embed_model: LlamaIndex embedding (default: bundled MiniLM).
        chroma_timeout: seconds before an unreachable Chroma server is reported.
        lock_timeout: seconds a folder writer waits for another writer.
    """

    def __init__(
        self,
        location: IndexLocation,
        parts: IndexParts,
        name: str,
        *,
        embed_model: BaseEmbedding | None = None,
        builder: MemoryNodeBuilder | None = None,
        sentence_probes: bool = True,
        lock_timeout: float = 600.0,
        stale_after: float = 3600.0,
        refresh_interval: float = 1.0,
    ) -> None:
        self.location = location
        self.stores = parts.stores
        self.catalog = parts.catalog
        self.name = name
        # The bundled MiniLM loads its weights on first use, so opening and checking an
        # index costs no model load.
        self._embed_model = embed_model or default_embed_model()
        self.builder = builder or MemoryNodeBuilder()
        self.journal = Journal(self.catalog, self.stores, location, lock_timeout, stale_after)
        self.writer = IndexWriter(
            self.catalog,
            self.stores,
            self.journal,
            self.builder,
            BatchEmbed(self._embed_model),
            sentence_probes=sentence_probes,
        )
        self.committed = CommittedDocuments(
            self.catalog, location.reporting, refresh_interval, self.stores.store(LAYER_CHUNK)
        )
        self.stored_reader: dict[str, Any] | None = None
        self.last_report: IngestReport | None = None
        self.stores.visible = self.committed.visible
        self.refresh(force=True)

    @property
    def embed_model(self) -> BaseEmbedding:
        """The embedding model (default: the bundled MiniLM)."""
        return self._embed_model

    @property
    def persist_dir(self) -> Path | None:
        """The index folder, if the index lives in one."""
        return self.location.folder

    @property
    def server(self) -> tuple[str, int] | None:
        """``(host, port)`` of the Chroma server holding the index, if any."""
        return self.location.server

    @property
    def refresh_interval(self) -> float:
        """At most one look at what other clients committed per this many seconds."""
        return self.committed.refresh_interval

    @property
    def lexical(self) -> LexicalSearch:
        """The BM25 evidence: the client's statistics, or the store's (:mod:`.word_search`)."""
        return self.committed.lexical

    @property
    def sentence_probes(self) -> bool:
        """Whether every sentence of every chunk is embedded as a probe (fixed at creation)."""
        return self.writer.sentence_probes

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        persist_dir: str | Path | None = None,
        *,
        index_name: str | None = None,
        reader: MemoryExtractor | None = None,
        embed_model: BaseEmbedding | None = None,
        vector_store: VectorStoreArg | None = None,
        chroma_host: str | None = None,
        chroma_port: int | None = None,
        chroma_timeout: float = 5.0,
        milvus_uri: str | None = None,
        milvus_token: str | None = None,
        lock_timeout: float = 600.0,
        sentence_probes: bool = True,
        keep_markup: bool = False,
    ) -> MemoryIndex:
        """An empty index (see :meth:`from_documents` for the arguments).

        Raises:
            IndexExists: the folder already holds an index, or the server an index of
                this name.
        """
        location = index_location(
            persist_dir,
            chroma_host=chroma_host,
            chroma_port=chroma_port,
            vector_store=vector_store,
            chroma_timeout=chroma_timeout,
            milvus_uri=milvus_uri,
            milvus_token=milvus_token,
        )
        with _closed_on_error(location):
            return cls._create(
                location,
                index_name=index_name,
                reader=reader,
                embed_model=embed_model,
                lock_timeout=lock_timeout,
                sentence_probes=sentence_probes,
                keep_markup=keep_markup,
            )

    @classmethod
    def _create(
        cls,
        location: IndexLocation,
        *,
        index_name: str | None = None,
        reader: MemoryExtractor | None = None,
        embed_model: BaseEmbedding | None = None,
        lock_timeout: float = 600.0,
        sentence_probes: bool = True,
        keep_markup: bool = False,
    ) -> MemoryIndex:
        """Create the index under the location's write lock, the marker last: a second
        process creating the same folder waits, then finds it there."""
        name = check_index_name(index_name or location.default_name())
        reader = reader or default_reader()
        location.check_new(name)  # before the lock file goes into a folder of someone else's
        with hold_lock(location.lock(), location.where, lock_timeout):
            location.check_new(name)
            parts = location.parts(name, create=True)
            index = cls(
                location,
                parts,
                name,
                embed_model=embed_model,
                builder=MemoryNodeBuilder(reader=reader, keep_markup=bool(keep_markup)),
                sentence_probes=bool(sentence_probes),
                lock_timeout=lock_timeout,
            )
            index.stored_reader = describe_reader(reader)
            header = new_header(
                name,
                location.layer_names(name),
                reader=index.stored_reader,
                sentence_probes=bool(sentence_probes),
                keep_markup=bool(keep_markup),
                embed_model=getattr(embed_model, "model_name", None) if embed_model else BUNDLED,
            )
            with location.reporting():
                parts.catalog.write_header(header)
            location.write_marker(name)
        return index

    @classmethod
    def from_documents(
        cls,
        documents: Sequence[Document],
        persist_dir: str | Path | None = None,
        *,
        index_name: str | None = None,
        reader: MemoryExtractor | None = None,
        embed_model: BaseEmbedding | None = None,
        vector_store: VectorStoreArg | None = None,
        chroma_host: str | None = None,
        chroma_port: int | None = None,
        chroma_timeout: float = 5.0,
        milvus_uri: str | None = None,
        milvus_token: str | None = None,
        sentence_probes: bool = True,
        keep_markup: bool = False,
        show_progress: bool = False,
    ) -> MemoryIndex:
        """Read, embed and store ``documents``; the report of the ingest is ``index.last_report``.

        Args:
            documents: LlamaIndex ``Document`` s; ``id_`` is the document id.
            persist_dir: folder for the index (new or empty); None keeps it in memory
                (or on the server).
            index_name: the index's name (default ``"default"``; one per folder; on a
                server, the name other clients open it by).
            reader: memory reader (default: the offline ``ExtractiveExtractor``).
            embed_model: LlamaIndex embedding model (default: bundled MiniLM).
            vector_store: a LlamaIndex vector store, or ``{layer: store}``, instead of Chroma.
            chroma_host: put the index on the Chroma server on this host ...
            chroma_port: ... and this port.
            chroma_timeout: seconds before an unreachable server (Chroma or Milvus) raises.
            milvus_uri: put the index in Milvus instead: a Milvus Lite file (``*.db``,
                one process at a time) or a server URL (``http://host:19530``).
            milvus_token: the Milvus server's token (default: ``MILVUS_TOKEN``).
            sentence_probes: embed every sentence of every chunk as a probe (about one
                more embedding pass; False for a cheaper ingest, see docs/benchmarks.md).
            keep_markup: read HTML tags as words (False: a tag reads as the white space it
                renders as, :func:`~mom_micro.text.blank_markup`). Fixed at creation.
            show_progress: a progress bar over the documents.
        """
        index = cls.create(
            persist_dir,
            index_name=index_name,
            reader=reader,
            embed_model=embed_model,
            vector_store=vector_store,
            chroma_host=chroma_host,
            chroma_port=chroma_port,
            chroma_timeout=chroma_timeout,
            milvus_uri=milvus_uri,
            milvus_token=milvus_token,
            sentence_probes=sentence_probes,
            keep_markup=keep_markup,
        )
        index.add_documents(documents, show_progress=show_progress)
        return index

    @classmethod
    def load(
        cls,
        persist_dir: str | Path | None = None,
        *,
        index_name: str | None = None,
        reader: MemoryExtractor | None = None,
        replace_reader: bool = False,
        embed_model: BaseEmbedding | None = None,
        vector_store: VectorStoreArg | None = None,
        chroma_host: str | None = None,
        chroma_port: int | None = None,
        chroma_timeout: float = 5.0,
        milvus_uri: str | None = None,
        milvus_token: str | None = None,
        lock_timeout: float = 600.0,
        check: bool = True,
    ) -> MemoryIndex:
        """Reopen an index (a folder, or a name on a Chroma server or in Milvus); nothing
        is re-embedded.

        The reader the index was built with is restored (the extractive one is rebuilt
        from its stored settings; nothing named in the index is ever imported); passing
        another one raises :class:`ReaderMismatch` unless ``replace_reader`` is True. With
        ``check`` the records and the vectors are compared first (:meth:`check`, ``quick``).

        Raises:
            IndexNotFound: no index there.
            IndexDamaged: the index is damaged (the message says how to repair it).
        """
        location = index_location(
            persist_dir,
            chroma_host=chroma_host,
            chroma_port=chroma_port,
            vector_store=vector_store,
            chroma_timeout=chroma_timeout,
            milvus_uri=milvus_uri,
            milvus_token=milvus_token,
        )
        with _closed_on_error(location):
            return cls._load(
                location,
                index_name=index_name,
                reader=reader,
                replace_reader=replace_reader,
                embed_model=embed_model,
                lock_timeout=lock_timeout,
                check=check,
            )

    @classmethod
    def _load(
        cls,
        location: IndexLocation,
        *,
        index_name: str | None = None,
        reader: MemoryExtractor | None = None,
        replace_reader: bool = False,
        embed_model: BaseEmbedding | None = None,
        lock_timeout: float = 600.0,
        check: bool = True,
    ) -> MemoryIndex:
        if not location.persistent:
            raise ValueError("give the index folder, chroma_host and chroma_port, or milvus_uri")
        if location.folder is not None:  # a folder of an earlier format is migrated first
            marker = current_marker(location, lambda: describe_reader(reader or default_reader()))
            index_name = index_name or marker.get("name")
        name = check_index_name(index_name or DEFAULT_NAME)
        parts = location.parts(name, create=False)
        header = parts.header
        if header is None or header.get("format") != FORMAT:
            raise IndexDamaged(
                f"{location.where}: index {name!r} has no mom-micro header (format "
                f"{header.get('format') if header else None!r})"
            )
        index = cls(
            location,
            parts,
            name,
            embed_model=embed_model,
            # an index from before markup was blanked read its documents with their tags
            builder=MemoryNodeBuilder(
                reader=None, keep_markup=bool(header.get("keep_markup", True))
            ),
            sentence_probes=bool(header.get("sentence_probes", True)),
            lock_timeout=lock_timeout,
        )
        index._restore_reader(header, reader, replace_reader)
        if index.journal.recover_if_idle():
            index.refresh(force=True)
        if check:
            report = index.check(quick=True)
            if not report.ok:
                raise IndexDamaged(
                    f"{location.where}: index {name!r} is damaged: {report}; "
                    f"`{location.repair_command(name)}` rebuilds what it can and says "
                    "what else to do"
                )
        return index

    @classmethod
    def open(cls, persist_dir: str | Path | None = None, **options: Any) -> MemoryIndex:
        """The index at ``persist_dir`` (or of ``index_name`` on the server): reopened
        with :meth:`load` when it exists, else created empty with :meth:`create`
        (``options`` go to whichever runs). In a folder, the look and the creation hold
        the write lock, so two processes opening one new folder create one index.

        How the index reads (``keep_markup``, ``sentence_probes``) is fixed when it is
        created and stored with it: given to ``open`` on an index that exists, each must
        agree with the stored choice, or :class:`SettingMismatch` says which differs.

        Example:
            .. code-block:: python

                index = MemoryIndex.open("./mom_index")
                index.add_documents(docs)        # unchanged documents are skipped
        """
        unknown = set(options) - set(_LOCATION_OPTIONS) - set(_LOAD_OPTIONS) - set(FIXED_SETTINGS)
        if unknown:
            raise TypeError(f"MemoryIndex.open got unexpected options {sorted(unknown)}")
        settings = {key: options.pop(key) for key in FIXED_SETTINGS if key in options}
        location = index_location(
            persist_dir, **{key: options.pop(key) for key in _LOCATION_OPTIONS if key in options}
        )
        name = options.get("index_name")
        with _closed_on_error(location):
            if not location.exists(name):
                location.check_new(check_index_name(name or location.default_name()))
            with hold_lock(location.lock(), location.where, options.get("lock_timeout", 600.0)):
                if location.exists(name):
                    index = cls._load(location, **options)
                    index._check_settings(settings)
                    return index
                for key in ("replace_reader", "check"):  # load options only
                    options.pop(key, None)
                return cls._create(location, **options, **settings)

    def _check_settings(self, settings: Mapping[str, Any]) -> None:
        """Raise :class:`SettingMismatch` when ``settings`` (``keep_markup``,
        ``sentence_probes``) differ from the ones this index was created with."""
        stored = {"keep_markup": self.builder.keep_markup, "sentence_probes": self.sentence_probes}
        differ = [
            f"{key}={bool(value)} (the index was created with {key}={stored[key]})"
            for key, value in settings.items()
            if bool(value) != stored[key]
        ]
        if differ:
            raise SettingMismatch(
                f"index {self.name!r} opened with {'; '.join(differ)}; every document of an "
                "index is read the same way: open it without the option, or build a new index"
            )

    def close(self) -> None:
        """Let go of the connection (a Milvus Lite file is then free for another process)."""
        self.location.close()

    def __enter__(self) -> MemoryIndex:  # ``with MemoryIndex.open(...) as index:`` closes
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the reader ---------------------------------------------------------------------------
    def _restore_reader(
        self, header: Mapping[str, Any], reader: MemoryExtractor | None, replace: bool
    ) -> None:
        stored = header.get("reader")
        self.stored_reader = dict(stored) if stored else None
        self.builder.reader = choose_reader(
            self.name, self.stored_reader, reader, replace, bool(self.committed.records)
        )
        if reader is not None and (not stored or replace):
            given = describe_reader(reader)
            with self._writing(recover=False), self.location.reporting():
                self.catalog.write_header({**header, "reader": given})
            self.stored_reader = given

    # -- contents ---------------------------------------------------------------------------
    def refresh(self, force: bool = False) -> bool:
        """Take in what other clients committed since the last look (at most every
        ``refresh_interval`` seconds unless ``force``); True when something changed
        (:meth:`~.committed.CommittedDocuments.refresh`)."""
        return self.committed.refresh(force)

    @property
    def doc_ids(self) -> list[str]:
        """Ids of the documents in the index."""
        return sorted(self.committed.records)

    def __len__(self) -> int:
        return len(self.committed.records)

    def document(self, doc_id: str) -> DocumentRecord | None:
        """The committed record of ``doc_id`` (hash, version, vector counts, source)."""
        return self.committed.records.get(doc_id)

    def chunk_nodes(self) -> list[TextNode]:
        """Every committed chunk node, by document and position."""
        return self.committed.chunk_nodes()

    def layer_counts(self) -> dict[str, int]:
        """How many vectors each layer holds for the committed documents."""
        return self.committed.layer_counts()

    def get_node(self, node_id: str) -> BaseNode | None:
        """A committed chunk node by id, or None."""
        return self.committed.get_node(node_id)

    # -- writing ------------------------------------------------------------------------------
    @contextmanager
    def _writing(self, recover: bool = True) -> Iterator[None]:
        """Hold the folder's write lock (if any), recover interrupted writes, refresh."""
        with self.journal.locked():
            if recover:
                self.journal.recover()
            self.refresh(force=True)
            yield

    def recover(self, everything: bool = False) -> list[PendingOperation]:
        """Finish or roll back interrupted writes (:class:`~.storage.journal.Journal`);
        returns the journal entries recovered."""
        done = self.journal.recover(everything)
        if done:
            self.refresh(force=True)
        return done

    def add_documents(
        self,
        documents: Iterable[Document],
        show_progress: bool = False,
        rebuild: bool = False,
        group_size: int = 16,
        ray: RayIngest | None = None,
    ) -> IngestReport:
        """Read, embed and store ``documents``, each as one journaled write.

        Unchanged ones (same id and hash, and every vector there) are skipped, changed
        ones replaced; ``rebuild`` reads every one again. A document the reader rejects,
        or one whose ``file_path`` differs from the stored document's of the same id, is
        reported in the returned :class:`IngestReport` while the rest of the batch goes in.
        Documents go in groups of ``group_size`` (a generator is taken a group at a
        time: read, embed, store, :meth:`~.storage.writer.IndexWriter.write`);
        ``report.seconds`` says where the time went. With ``ray`` the groups are read and
        embedded on Ray workers, stored here (:class:`~.ray_ingest.RayIngest`).
        """
        require_reader(self.name, self.builder.reader, self.stored_reader)
        with self._writing():
            report = self.writer.write(
                documents, self.committed.records, show_progress, rebuild, group_size, ray
            )
            return self._finish(report)

    async def aadd_documents(
        self,
        documents: Sequence[Document],
        show_progress: bool = False,
        rebuild: bool = False,
        group_size: int = 16,
    ) -> IngestReport:
        """Async :meth:`add_documents`, for a reader whose calls wait on a model server:
        up to ``group_size`` documents are read at once while those read are embedded
        and stored (:meth:`~.storage.writer.IndexWriter.awrite`)."""
        require_reader(self.name, self.builder.reader, self.stored_reader)
        with self._writing():
            report = await self.writer.awrite(
                documents, self.committed.records, show_progress, rebuild, group_size
            )
            return self._finish(report)

    def _finish(self, report: IngestReport) -> IngestReport:
        began = time.perf_counter()
        self.refresh(force=True)
        report.time("index", began)
        self.last_report = report
        if report.rejected:
            logger.warning("memory index: %s", report)
        return report

    def insert(self, document: Document) -> IngestReport:
        """Add (or replace, if changed) one document; see :meth:`add_documents`."""
        return self.add_documents([document])

    def delete(self, doc_id: str) -> None:
        """Remove document ``doc_id`` from every layer (probes included) and the records.

        Raises:
            UnknownDocumentError: no such document (the message lists a few known ids).
        """
        with self._writing():
            self.writer.delete(doc_id, self.committed.records, self.name)
            self.refresh(force=True)

    # -- checking -----------------------------------------------------------------------------
    def check(self, quick: bool = False) -> IndexCheck:
        """Compare the records with the vectors (:func:`~.storage.integrity.check_index`)."""
        with self.location.reporting():
            return check_index(self.catalog, self.stores, quick)

    def repair(self, drop: bool = False) -> RepairReport:
        """Recover every interrupted write, rebuild lost records from the vectors where
        it can, delete superseded versions; with ``drop``, also remove the documents it
        cannot repair so that they can be ingested again
        (:func:`~.storage.integrity.repair_index`)."""
        with self._writing(recover=False), self.location.reporting():
            report = repair_index(self.catalog, self.stores, self.journal, drop=drop)
            self.refresh(force=True)
        return report

    # -- retrieval ----------------------------------------------------------------------------
    def as_retriever(
        self,
        similarity_top_k: int = 4,
        *,
        weights: LayerWeights | None = None,
        layer_top_k: dict[str, int] | None = None,
        doc_ids: Sequence[str] | None = None,
        reranker: BaseNodePostprocessor | None = None,
        lexical_top_k: int = 30,
        dedupe_threshold: float = 95.0,
        max_query_chars: int = MAX_QUERY_CHARS,
        max_words: int | None = None,
        assemble: bool = False,
        callback_manager: CallbackManager | None = None,
        verbose: bool = False,
        assembly: bool | None = None,
    ) -> ThreeLayerRetriever:
        """A :class:`ThreeLayerRetriever` over this index (its arguments, documented
        there); before each query it takes in what other clients committed
        (:meth:`refresh`)."""
        return ThreeLayerRetriever(
            self.stores,
            self.embed_model,
            self.get_node,
            prefetch=self.committed.prefetch,
            similarity_top_k=similarity_top_k,
            weights=weights,
            layer_top_k=layer_top_k,
            doc_ids=doc_ids,
            reranker=reranker,
            lexical=self.committed.lexical,
            lexical_top_k=lexical_top_k,
            dedupe_threshold=dedupe_threshold,
            max_query_chars=max_query_chars,
            refresh=self.refresh,
            max_words=max_words,
            assemble=assemble,
            callback_manager=callback_manager,
            verbose=verbose,
            assembly=assembly,
        )
