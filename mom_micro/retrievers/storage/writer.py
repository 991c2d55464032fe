"""How documents get into an index: plan, read, embed, and store each as a new version.

A document is skipped when the index holds it with the same hash and every vector of
its committed version, refused when the stored document of its id came from another
file, and otherwise read by the memory reader, embedded (its nodes, then the sentence
probes of its chunks) and stored as one journaled write
(:mod:`~mom_micro.retrievers.storage.journal`): journal entry, vectors under the new
version's ids, the record switched to that version (the commit), older versions
deleted, entry dropped. The writer is called with the index's write lock held
(:meth:`~mom_micro.retrievers.MemoryIndex.add_documents`).

Example:
    .. code-block:: python

        writer = IndexWriter(catalog, stores, journal, builder, embed, sentence_probes=True)
        report = writer.write(documents, records)   # records: the committed ones now
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from dataclasses import dataclass, field
from typing import Any

from llama_index.core.schema import BaseNode, Document, MetadataMode, TextNode

from mom_micro.memory import DocumentMemory

from ..nodes import INDEX_LAYERS, LAYER_CHUNK, BuiltNodes, MemoryNodeBuilder, RejectedDocument
from ..probes import sentence_probes
from .catalog import Catalog, DocumentRecord, PendingOperation, new_op
from .errors import UnknownDocumentError
from .journal import Journal
from .stores import LayerStores

__all__ = ["GroupReader", "IndexWriter", "IngestReport", "ReadGroup"]

logger = logging.getLogger(__name__)

Embed = Callable[[list[str]], list[list[float]]]


def embed_texts(nodes: Sequence[BaseNode], probes: bool) -> tuple[list[TextNode], list[str]]:
    """The sentence probes of ``nodes`` (none without ``probes``), and the texts to
    embed: the nodes', then the probes'."""
    found = sentence_probes(nodes) if probes else []
    return found, [n.get_content(metadata_mode=MetadataMode.EMBED) for n in [*nodes, *found]]


@dataclass
class ReadGroup:
    """One group of documents read and embedded, ready to store."""

    documents: list[Document]
    built: BuiltNodes
    probes: list[TextNode]
    embeddings: list[list[float]]
    read_seconds: float
    embed_seconds: float


@dataclass
class GroupReader:
    """Read a group of documents with ``builder`` and embed their nodes and sentence
    probes with ``embed``: the part of an ingest that needs no index, so that workers in
    other processes can run it (it is sent there with the reader and the embedding model
    it holds) while one writer stores the results."""

    builder: MemoryNodeBuilder
    embed: Embed
    sentence_probes: bool = True

    def __call__(self, documents: list[Document]) -> ReadGroup:
        """Read and embed ``documents``."""
        began = time.perf_counter()
        built = self.builder.build(documents)
        read = time.perf_counter() - began
        probes, texts = embed_texts(built.nodes, self.sentence_probes)
        began = time.perf_counter()
        embeddings = self.embed(texts) if texts else []
        return ReadGroup(documents, built, probes, embeddings, read, time.perf_counter() - began)


#: Reads and embeds groups elsewhere: ``(reader, groups) -> each group read, any order``.
ReadGroups = Callable[[GroupReader, Iterable[list[Document]]], Iterable[ReadGroup]]


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
    seconds: dict[str, float] = field(default_factory=dict)

    def time(self, stage: str, began: float) -> None:
        """Add the seconds since ``began`` (``time.perf_counter``) to ``stage``: ``read``
        (the memory reader), ``embed``, ``store`` (vectors and records), ``index`` (BM25
        statistics and the chunk cache)."""
        self.add_seconds(stage, time.perf_counter() - began)

    def add_seconds(self, stage: str, seconds: float) -> None:
        """Add ``seconds`` spent elsewhere (a Ray worker's read or embed) to ``stage``."""
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds

    def __str__(self) -> str:
        text = (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {self.nodes} nodes, "
            f"{self.probes} sentence probes"
        )
        if self.rejected:
            text += "; rejected: " + "; ".join(f"{r.doc_id}: {r.reason}" for r in self.rejected)
        return text


class IndexWriter:
    """Plan, read, embed and store documents (module docstring).

    Args:
        catalog: the index's records.
        stores: the index's layers.
        journal: the index's journal (liveness of other writes, cleanup of versions).
        builder: memories to nodes (the memory reader is ``builder.reader``).
        embed: texts to vectors (the index's embedding model, loaded on first use).
        sentence_probes: embed every sentence of every chunk as a probe.
    """

    def __init__(
        self,
        catalog: Catalog,
        stores: LayerStores,
        journal: Journal,
        builder: MemoryNodeBuilder,
        embed: Embed,
        sentence_probes: bool = True,
    ) -> None:
        self.catalog = catalog
        self.stores = stores
        self.journal = journal
        self.builder = builder
        self.embed = embed
        self.sentence_probes = sentence_probes

    # -- planning -----------------------------------------------------------------------------
    def plan(
        self,
        documents: Sequence[Document],
        records: Mapping[str, DocumentRecord],
        report: IngestReport,
        rebuild: bool = False,
        seen: set[str] | None = None,
        whole: Callable[[], Callable[[str], bool]] | None = None,
    ) -> list[Document]:
        """The documents to read: new or changed ones (all with ``rebuild``); the rest go
        to ``report`` as unchanged or rejected. ``seen``: the ids planned before in the
        same ingest (a second document of one id is refused); ``whole``: the ingest's
        :meth:`whole_checker`, made once when first needed."""
        todo: list[Document] = []
        seen = set() if seen is None else seen
        whole = whole or functools.cache(lambda: self.whole_checker(records))
        for doc in documents:
            if not isinstance(doc, Document):
                raise TypeError(f"expected llama_index Document, got {type(doc).__name__}")
            if doc.id_ in seen:
                raise ValueError(f"document id {doc.id_!r} appears twice in one batch")
            seen.add(doc.id_)
            record = records.get(doc.id_)
            source = doc.metadata.get("file_path")
            if record is not None and record.source and source and record.source != source:
                report.rejected.append(
                    RejectedDocument(
                        doc.id_,
                        f"the index holds {doc.id_!r} from {record.source}, not from "
                        f"{source}: give this file another id (mom-micro ingest --id), or "
                        "delete the stored one first",
                    )
                )
                continue
            if record is not None and record.hash == doc.hash and not rebuild:
                if whole()(doc.id_):
                    report.unchanged.append(doc.id_)
                    continue
                logger.warning(
                    "document %r is recorded but misses vectors: reading it again", doc.id_
                )
            todo.append(doc)
        return todo

    def whole_checker(self, records: Mapping[str, DocumentRecord]) -> Callable[[str], bool]:
        """``doc_id -> bool``: whether every layer holds all the committed version's
        vectors (always True for a store that cannot list its vectors)."""
        found = self.stores.vector_counts()
        if found is None:
            return lambda doc_id: True
        counts = found

        def whole(doc_id: str) -> bool:
            record = records[doc_id]
            return all(
                (counts[layer][(doc_id, record.op)] if layer in counts else 0) >= expected
                for layer, expected in record.vectors.items()
            )

        return whole

    # -- writing ------------------------------------------------------------------------------
    def group_reader(self) -> GroupReader:
        """What reads and embeds one group of documents, apart from the index (its
        reader and embedding model only), so that it can run in another process."""
        return GroupReader(self.builder, self.embed, self.sentence_probes)

    def write(
        self,
        documents: Iterable[Document],
        records: Mapping[str, DocumentRecord],
        show_progress: bool = False,
        rebuild: bool = False,
        group_size: int = 16,
        read_groups: ReadGroups | None = None,
    ) -> IngestReport:
        """Plan, then read, embed and store ``documents`` in groups of ``group_size``
        (which bounds memory and keeps the reader's sentence embeddings in the shared memo
        until the group's probes need them); ``report.seconds`` says where the time went.

        ``documents`` is consumed a group at a time (planned, read, stored, let go), so
        a generator that reads files as it goes keeps one group's texts in memory, never
        the corpus's; the progress bar knows its total when ``documents`` has a length.

        ``read_groups`` reads and embeds the groups elsewhere (on Ray workers,
        :class:`~mom_micro.retrievers.ray_ingest.RayIngest`): it is given the
        :meth:`group_reader` and the groups, and yields each group read, in any order;
        this process stores each one as soon as it comes back."""
        report = IngestReport()
        bar = _progress(len(documents) if isinstance(documents, Sized) else None, show_progress)
        seen: set[str] = set()
        whole = functools.cache(lambda: self.whole_checker(records))

        def planned() -> Iterator[list[Document]]:
            batches = iter(documents)
            while batch := list(itertools.islice(batches, max(group_size, 1))):
                todo = self.plan(batch, records, report, rebuild, seen, whole)
                bar.update(len(batch) - len(todo))
                if todo:
                    yield todo

        reader = self.group_reader()
        read = read_groups(reader, planned()) if read_groups else map(reader, planned())
        for group in read:
            report.add_seconds("read", group.read_seconds)
            report.add_seconds("embed", group.embed_seconds)
            self.store(
                group.documents, group.built, group.probes, group.embeddings, records, report
            )
            bar.update(len(group.documents))
        bar.close()
        return report

    async def awrite(
        self,
        documents: Sequence[Document],
        records: Mapping[str, DocumentRecord],
        show_progress: bool = False,
        rebuild: bool = False,
        group_size: int = 16,
    ) -> IngestReport:
        """Async :meth:`write`: up to ``group_size`` documents are being read at once, and
        each is embedded (in a worker thread) and stored as soon as it is read, so a
        model server's latency and the local embedding overlap. ``report.seconds["read"]``
        is the time spent waiting for the next document to be read."""
        report = IngestReport()
        planned = self.plan(documents, records, report, rebuild)
        todo = iter(planned)
        bar = _progress(len(planned), show_progress)
        window = max(group_size, 1)

        async def read(document: Document) -> tuple[Document, BuiltNodes]:
            return document, await self.builder.abuild([document])

        reading: set[asyncio.Task[tuple[Document, BuiltNodes]]] = set()

        def start_reading() -> None:
            for document in itertools.islice(todo, window - len(reading)):
                reading.add(asyncio.ensure_future(read(document)))

        try:
            start_reading()
            while reading:
                began = time.perf_counter()
                done, _ = await asyncio.wait(reading, return_when=asyncio.FIRST_COMPLETED)
                report.time("read", began)
                for task in done:
                    reading.discard(task)
                    document, built = task.result()
                    start_reading()
                    probes, texts = embed_texts(built.nodes, self.sentence_probes)
                    began = time.perf_counter()
                    embeddings = await asyncio.to_thread(self.embed, texts) if texts else []
                    report.time("embed", began)
                    self.store([document], built, probes, embeddings, records, report)
                    bar.update(1)
        finally:
            for task in reading:
                task.cancel()
            bar.close()
        return report

    def store(
        self,
        todo: Sequence[Document],
        built: BuiltNodes,
        probes: list[TextNode],
        embeddings: list[list[float]],
        records: Mapping[str, DocumentRecord],
        report: IngestReport,
    ) -> None:
        """Store the read documents ``todo`` (``built``, with their ``probes`` and the
        ``embeddings`` of both), each as a new version."""
        began = time.perf_counter()
        report.rejected += built.rejected
        report.memories.update(built.memories)
        for node, embedding in zip([*built.nodes, *probes], embeddings, strict=True):
            node.embedding = embedding
        by_doc: dict[str, list[BaseNode]] = {}
        for node in [*built.nodes, *probes]:
            by_doc.setdefault(node.metadata["doc_id"], []).append(node)
        writes = [doc for doc in todo if doc.id_ in built.memories]
        ops = {doc.id_: new_op() for doc in writes}
        with self.journal.running(ops.values()):
            self._write_versions(writes, by_doc, ops, records, report)
        report.nodes += len(built.nodes)
        report.probes += len(probes)
        report.time("store", began)

    def _write_versions(
        self,
        writes: Sequence[Document],
        by_doc: Mapping[str, list[BaseNode]],
        ops: Mapping[str, str],
        records: Mapping[str, DocumentRecord],
        report: IngestReport,
    ) -> None:
        """Journal, store, commit and clean up one new version of each document."""
        with self.journal.location.reporting():
            for doc in writes:
                self.catalog.begin(PendingOperation(ops[doc.id_], doc.id_, "write"))
            for doc in writes:
                self.stores.add(by_doc[doc.id_], ops[doc.id_])
            pending = self.catalog.pending()
            for doc in writes:
                nodes = by_doc[doc.id_]
                vectors = dict.fromkeys(INDEX_LAYERS, 0)
                for node in nodes:
                    vectors[node.metadata["layer"]] += 1
                chunks = [n for n in nodes if n.metadata["layer"] == LAYER_CHUNK]
                record = DocumentRecord(
                    doc.id_, doc.hash, ops[doc.id_], vectors, doc.metadata.get("file_path")
                )
                (report.updated if doc.id_ in records else report.added).append(doc.id_)
                older = doc.id_ in records or any(
                    p.doc_id == doc.id_ and p.op != ops[doc.id_] for p in pending
                )
                self.catalog.commit(record, [_without_embedding(n) for n in chunks])
                if older:  # a first version has nothing to clean up
                    self.journal.delete_other_versions(doc.id_, ops[doc.id_], pending)
                for operation in pending:  # an interrupted write of this document is superseded
                    if (
                        operation.doc_id == doc.id_
                        and operation.op != ops[doc.id_]
                        and not self.journal.alive(operation)
                    ):
                        self.catalog.finish(operation.op)
                self.catalog.finish(ops[doc.id_])

    def delete(self, doc_id: str, records: Mapping[str, DocumentRecord], index: str) -> None:
        """Remove ``doc_id`` from every layer and the records, as one journaled write.

        Raises:
            UnknownDocumentError: no such document (the message lists a few known ids).
        """
        if doc_id not in records:
            known = sorted(records)
            hint = ", ".join(repr(d) for d in known[:5]) + (" ..." if len(known) > 5 else "")
            raise UnknownDocumentError(
                f"no document {doc_id!r} in index {index!r} ({len(known)} documents"
                + (f": {hint})" if known else ")")
            )
        op = new_op()
        with self.journal.running([op]), self.journal.location.reporting():
            self.catalog.begin(PendingOperation(op, doc_id, "delete"))
            self.catalog.remove(doc_id)
            self.journal.delete_other_versions(doc_id, None, self.catalog.pending())
            self.catalog.finish(op)


def _progress(total: int | None, show: bool) -> Any:
    from tqdm.auto import tqdm

    few = total is not None and total < 2
    return tqdm(total=total, desc="Ingesting", unit="doc", disable=not show or few)


def _without_embedding(node: BaseNode) -> BaseNode:
    return node.model_copy(update={"embedding": None})
