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

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.callbacks import CallbackManager
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import BaseNode, Document, MetadataMode, TextNode

from mom_micro.errors import MomMicroError
from mom_micro.memory import MemoryExtractor, describe_reader

from .embedding import default_embed_model
from .fusion import LayerWeights
from .lexical import LexicalIndex
from .nodes import INDEX_LAYERS, LAYER_CHUNK, MemoryNodeBuilder, default_reader, parse_node_id
from .retriever import MAX_QUERY_CHARS, ThreeLayerRetriever
from .storage.catalog import DocumentRecord, PendingOperation
from .storage.chroma import check_index_name
from .storage.errors import (
    IndexBusy,
    IndexDamaged,
    IndexExists,
    IndexNotFound,
    UnknownDocumentError,
)
from .storage.integrity import IndexCheck, RepairReport, check_index, repair_index
from .storage.journal import Journal, hold_lock
from .storage.location import (
    DEFAULT_NAME,
    FORMAT,
    MARKER,
    VERSION,
    IndexLocation,
    IndexParts,
    VectorStoreArg,
    index_location,
    new_header,
    read_marker,
)
from .storage.migration import migrate_folder
from .storage.reader_record import reader_from, same_reader
from .storage.writer import IndexWriter, IngestReport

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


class ReaderMismatch(MomMicroError, ValueError):
    """The memory reader given is not the one the index was built with (or none is
    given for a reader that cannot be rebuilt from its description)."""


class SettingMismatch(MomMicroError, ValueError):
    """An option that is fixed when an index is created (``keep_markup``,
    ``sentence_probes``) was given with another value than the stored one."""


#: The options of :meth:`MemoryIndex.create` that are stored with the index and cannot
#: change afterwards: every document must be read and probed the same way.
FIXED_SETTINGS = ("keep_markup", "sentence_probes")

#: The options of :meth:`MemoryIndex.open` that say where the index lives.
_LOCATION_OPTIONS = ("vector_store", "chroma_host", "chroma_port", "chroma_timeout")


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
        self._embed_model = embed_model
        self.builder = builder or MemoryNodeBuilder()
        self.refresh_interval = refresh_interval
        self.journal = Journal(self.catalog, self.stores, location, lock_timeout, stale_after)
        self.writer = IndexWriter(
            self.catalog,
            self.stores,
            self.journal,
            self.builder,
            lambda texts: self.embed_model.get_text_embedding_batch(texts),
            sentence_probes=sentence_probes,
        )
        self.lexical = LexicalIndex()
        self.stored_reader: dict[str, Any] | None = None
        self.last_report: IngestReport | None = None
        self._versions: dict[str, str] = {}
        self._records: dict[str, DocumentRecord] = {}
        self._chunks: dict[tuple[str, int], TextNode] = {}
        self._token: str | None = None
        self._refreshed = 0.0
        self.stores.visible = self._visible
        self.refresh(force=True)

    @property
    def embed_model(self) -> BaseEmbedding:
        """The embedding model (the bundled MiniLM is loaded on first use, so that opening
        and checking an index costs no model load)."""
        if self._embed_model is None:
            self._embed_model = default_embed_model()
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
        )
        return cls._create(
            location, index_name, reader, embed_model, lock_timeout, sentence_probes, keep_markup
        )

    @classmethod
    def _create(
        cls,
        location: IndexLocation,
        index_name: str | None,
        reader: MemoryExtractor | None,
        embed_model: BaseEmbedding | None,
        lock_timeout: float,
        sentence_probes: bool,
        keep_markup: bool,
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
                embed_model=(
                    getattr(embed_model, "model_name", None)
                    if embed_model is not None
                    else "all-MiniLM-L6-v2 (bundled)"
                ),
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
            chroma_timeout: seconds before an unreachable server raises.
            sentence_probes: embed every sentence of every chunk as a probe (about three
                per chunk: roughly one more embedding pass over the text than the chunks
                alone, and the sentence view of the fusion; False skips them for a
                cheaper ingest, see docs/benchmarks.md).
            keep_markup: let the reader read HTML tags as words (False, the default: a tag
                is read as the white space it renders as,
                :func:`~mom_micro.text.blank_markup`; a chunk is then the span of the
                page with its tags blanked, at the original's offsets). Kept in the
                index, so that documents added later are read the same way.
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
        lock_timeout: float = 600.0,
        check: bool = True,
    ) -> MemoryIndex:
        """Reopen an index (a folder, or a name on a Chroma server); nothing is re-embedded.

        The reader the index was built with is restored (the extractive one is rebuilt
        from its stored settings; nothing named in the index is ever imported); passing
        another one raises :class:`ReaderMismatch` unless ``replace_reader`` is True. With
        ``check`` the records and the vectors are compared first (:meth:`check`).

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
        )
        return cls._load(
            location, index_name, reader, replace_reader, embed_model, lock_timeout, check
        )

    @classmethod
    def _load(
        cls,
        location: IndexLocation,
        index_name: str | None,
        reader: MemoryExtractor | None,
        replace_reader: bool,
        embed_model: BaseEmbedding | None,
        lock_timeout: float,
        check: bool,
    ) -> MemoryIndex:
        folder = location.folder
        if folder is None and location.server is None:
            raise ValueError("give the index folder, or chroma_host and chroma_port")
        if folder is not None:
            if not (folder / MARKER).is_file():
                what = (
                    "does not exist"
                    if not folder.exists()
                    else f"holds no memory index ({MARKER} missing)"
                )
                raise IndexNotFound(f"{folder} {what}")
            marker = read_marker(folder)
            if marker["version"] < VERSION:
                migrate_folder(
                    location,
                    marker,
                    describe_reader(reader or default_reader()),
                    marker.get("embed_model"),
                )
                marker = read_marker(folder)
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
            report = index.check()
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
        settings = {key: options.pop(key) for key in FIXED_SETTINGS if key in options}
        where = {key: options.pop(key) for key in _LOCATION_OPTIONS if key in options}
        location = index_location(persist_dir, **where)
        lock_timeout = options.get("lock_timeout", 600.0)
        if not location.exists(options.get("index_name")):
            location.check_new(check_index_name(options.get("index_name") or DEFAULT_NAME))
        with hold_lock(location.lock(), location.where, lock_timeout):
            if location.exists(options.get("index_name")):
                known = {
                    "index_name",
                    "reader",
                    "replace_reader",
                    "embed_model",
                    "lock_timeout",
                    "check",
                }
                unknown = set(options) - known
                if unknown:
                    raise TypeError(f"MemoryIndex.open got unexpected options {sorted(unknown)}")
                index = cls._load(
                    location,
                    options.get("index_name"),
                    options.get("reader"),
                    options.get("replace_reader", False),
                    options.get("embed_model"),
                    lock_timeout,
                    options.get("check", True),
                )
                index._check_settings(settings)
                return index
            return cls._create(
                location,
                options.get("index_name"),
                options.get("reader"),
                options.get("embed_model"),
                lock_timeout,
                settings.get("sentence_probes", True),
                settings.get("keep_markup", False),
            )

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

    # -- the reader ---------------------------------------------------------------------------
    def _restore_reader(
        self, header: Mapping[str, Any], reader: MemoryExtractor | None, replace: bool
    ) -> None:
        stored = header.get("reader")
        self.stored_reader = dict(stored) if stored else None
        if reader is None:
            self.builder.reader = reader_from(stored)
            return
        given = describe_reader(reader)
        if stored and not same_reader(stored, given) and not replace and self._records:
            raise ReaderMismatch(
                f"index {self.name!r} was built with the reader {stored.get('kind')!r}, not "
                f"{given.get('kind')!r} ({given.get('class', given.get('model'))}); pass "
                "the same reader, or replace_reader=True to read new documents with this one"
            )
        self.builder.reader = reader
        if not stored or replace:
            with self._writing(recover=False), self.location.reporting():
                self.catalog.write_header({**header, "reader": given})
            self.stored_reader = given

    def _require_reader(self) -> None:
        if self.builder.reader is None:
            stored = self.stored_reader or {}
            raise ReaderMismatch(
                f"index {self.name!r} was built with the reader {stored.get('kind')!r} "
                f"({stored.get('class', stored.get('model', ''))}), which cannot be rebuilt "
                "from its description: pass the same reader (reader=...) to open the index "
                "for adding documents"
            )

    # -- records in memory ---------------------------------------------------------------------
    def _visible(self, doc_id: str, op: str) -> bool:
        return self._versions.get(doc_id) == op

    def refresh(self, force: bool = False) -> bool:
        """Take in what other clients committed since the last look (at most every
        ``refresh_interval`` seconds unless ``force``); True when something changed.
        Records that cannot be read are left out (:meth:`check` reports them)."""
        now = time.monotonic()
        if not force and now - self._refreshed < self.refresh_interval:
            return False
        self._refreshed = now
        with self.location.reporting():
            token = self.catalog.token()
            if token == self._token and not force:
                return False
            records, _ = self.catalog.readable_documents()
            changed = {d: r.op for d, r in records.items() if self._versions.get(d) != r.op}
            gone = [d for d in self._versions if d not in records]
            nodes = self.catalog.chunk_nodes(changed) if changed else []
        for doc_id in [*gone, *changed]:
            self.lexical.remove(doc_id)
            for key in [k for k in self._chunks if k[0] == doc_id]:
                del self._chunks[key]
        for node in nodes:
            self._chunks[(node.metadata["doc_id"], int(node.metadata["unit"]))] = node
        self.lexical.add(
            ((node.metadata["doc_id"], int(node.metadata["unit"])), _lexical_text(node))
            for node in nodes
        )
        self._records = records
        self._versions = {d: r.op for d, r in records.items()}
        self._token = token
        return bool(changed or gone)

    # -- contents -----------------------------------------------------------------------------
    @property
    def doc_ids(self) -> list[str]:
        """Ids of the documents in the index."""
        return sorted(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def document(self, doc_id: str) -> DocumentRecord | None:
        """The committed record of ``doc_id`` (hash, version, vector counts, source)."""
        return self._records.get(doc_id)

    def chunk_nodes(self) -> list[TextNode]:
        """Every committed chunk node, by document and position."""
        return [self._chunks[key] for key in sorted(self._chunks)]

    def layer_counts(self) -> dict[str, int]:
        """How many vectors each layer holds for the committed documents."""
        totals = dict.fromkeys(INDEX_LAYERS, 0)
        for record in self._records.values():
            for layer, count in record.vectors.items():
                totals[layer] = totals.get(layer, 0) + count
        return totals

    def get_node(self, node_id: str) -> BaseNode | None:
        """A committed chunk node by id, or None."""
        parsed = parse_node_id(node_id)
        if parsed is None or parsed[1] != LAYER_CHUNK:
            return None
        return self._chunks.get((parsed[0], parsed[2]))

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
        documents: Sequence[Document],
        show_progress: bool = False,
        rebuild: bool = False,
        group_size: int = 16,
    ) -> IngestReport:
        """Read, embed and store ``documents``, each as one journaled write.

        Unchanged ones (same id and hash, and every vector there) are skipped, changed
        ones replaced; ``rebuild`` reads every one again. A document the reader rejects,
        or one whose ``file_path`` differs from the stored document's of the same id, is
        reported in the returned :class:`IngestReport` while the rest of the batch goes in.
        Documents go through in groups of ``group_size`` (read, embed, store:
        :meth:`~.storage.writer.IndexWriter.write`); ``report.seconds`` says where the
        time went.
        """
        self._require_reader()
        with self._writing():
            report = self.writer.write(documents, self._records, show_progress, rebuild, group_size)
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
        self._require_reader()
        with self._writing():
            report = await self.writer.awrite(
                documents, self._records, show_progress, rebuild, group_size
            )
            return self._finish(report)

    def _finish(self, report: IngestReport) -> IngestReport:
        began = time.perf_counter()
        self.refresh(force=True)
        report.time("index", began)
        self.last_report = report
        if report.rejected:
            import logging

            logging.getLogger(__name__).warning("memory index: %s", report)
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
            self.writer.delete(doc_id, self._records, self.name)
            self.refresh(force=True)

    # -- checking -----------------------------------------------------------------------------
    def check(self) -> IndexCheck:
        """Compare the records with the vectors
        (:func:`~.storage.integrity.check_index`)."""
        with self.location.reporting():
            return check_index(self.catalog, self.stores)

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
        assembly: bool = False,
        callback_manager: CallbackManager | None = None,
        verbose: bool = False,
    ) -> ThreeLayerRetriever:
        """A :class:`ThreeLayerRetriever` over this index (its arguments, documented
        there); before each query it takes in what other clients committed
        (:meth:`refresh`)."""
        return ThreeLayerRetriever(
            self.stores,
            self.embed_model,
            self.get_node,
            similarity_top_k=similarity_top_k,
            weights=weights,
            layer_top_k=layer_top_k,
            doc_ids=doc_ids,
            reranker=reranker,
            lexical=self.lexical,
            lexical_top_k=lexical_top_k,
            dedupe_threshold=dedupe_threshold,
            max_query_chars=max_query_chars,
            refresh=self.refresh,
            max_words=max_words,
            assembly=assembly,
            callback_manager=callback_manager,
            verbose=verbose,
        )


def _lexical_text(node: BaseNode) -> str:
    """What BM25 indexes of a chunk: its title and text."""
    return node.get_content(metadata_mode=MetadataMode.EMBED)
