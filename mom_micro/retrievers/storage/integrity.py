"""Do an index's records and vectors agree? The check an index passes before it is
served, and a repair that never destroys what it cannot account for.

:func:`check_index` compares the document records with the vectors the layers hold:
documents whose record is unreadable, documents whose committed version misses vectors
(*damaged*), vectors of documents that have no record at all (*unrecorded*: the records
were lost, the vectors are still there), and vectors of superseded versions of recorded
documents (*leftovers*, harmless: never served). Only the first three make an index
unfit to serve.

:func:`repair_index` then, in this order: recovers every interrupted write; rebuilds
the record of each unrecorded document from its vectors where the layers keep the
chunk nodes (Chroma) -- the version with the most chunk vectors, hash left empty so that
the next ingest of that document reads it again; deletes leftovers. Damaged documents,
unreadable records and unrecorded vectors it cannot rebuild are kept and listed, and
only ``drop=True`` (``mom-micro repair --drop``) removes them, so that those documents
can be ingested again.

Example:
    >>> from mom_micro.retrievers.storage.location import index_location
    >>> parts = index_location(None).parts("doctest-check", create=True)
    >>> print(check_index(parts.catalog, parts.stores))
    0 documents, all whole
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .catalog import Catalog, DocumentRecord
from .journal import Journal
from .stores import LayerStores

__all__ = ["IndexCheck", "RepairReport", "check_index", "repair_index"]


@dataclass
class IndexCheck:
    """What :func:`check_index` found (module docstring).

    Attributes:
        documents: committed documents with a readable record.
        damaged: ``{doc_id: what is missing}`` for committed versions that miss vectors.
        unreadable: ``{doc_id: why}`` for records that cannot be read.
        unrecorded: ``{doc_id: vectors}`` for vectors of documents with no record.
        orphans: vectors of superseded versions of recorded documents (leftovers).
        pending: writes journaled and not finished.
        vectors_checked: False for a vector store that cannot list its vectors.
        counted: the vectors were counted per layer, not listed (``quick``).
    """

    documents: int
    damaged: dict[str, str] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)
    unrecorded: dict[str, int] = field(default_factory=dict)
    orphans: int = 0
    pending: int = 0
    vectors_checked: bool = True
    counted: bool = False

    @property
    def ok(self) -> bool:
        """Every record readable, every committed document whole, no vector unaccounted."""
        return not (self.damaged or self.unreadable or self.unrecorded)

    def __str__(self) -> str:
        parts = []
        if self.ok:
            parts.append(f"{self.documents} documents, all whole")
        if self.damaged:
            shown = "; ".join(f"{d}: {what}" for d, what in list(self.damaged.items())[:3])
            more = " ..." if len(self.damaged) > 3 else ""
            parts.append(
                f"{len(self.damaged)} of {self.documents} documents miss vectors ({shown}{more})"
            )
        if self.unreadable:
            names = ", ".join(repr(d) for d in list(self.unreadable)[:3])
            parts.append(
                f"the record of {len(self.unreadable)} document(s) is unreadable ({names})"
            )
        if self.unrecorded:
            names = ", ".join(repr(d) for d in list(self.unrecorded)[:3])
            more = " ..." if len(self.unrecorded) > 3 else ""
            parts.append(
                f"{sum(self.unrecorded.values())} vectors of {len(self.unrecorded)} "
                f"document(s) have no record ({names}{more})"
            )
        if self.orphans:
            parts.append(f"{self.orphans} vectors of superseded versions")
        if self.pending:
            parts.append(f"{self.pending} writes pending")
        text = "; ".join(parts)
        if not self.vectors_checked:
            text += " (this vector store cannot list its vectors: records checked only)"
        elif self.counted:
            text += " (vectors counted per layer)"
        return text


def _recorded_totals(records: dict[str, DocumentRecord], layers: dict[str, int]) -> dict[str, int]:
    """Per layer of ``layers``, the vectors the committed records add up to."""
    return {
        layer: sum(record.vectors.get(layer, 0) for record in records.values()) for layer in layers
    }


def _vectors_by_doc(counts: dict[str, Counter[tuple[str, str]]]) -> dict[str, Counter[str]]:
    """``{doc_id: {op: vectors}}`` over every layer."""
    docs: dict[str, Counter[str]] = {}
    for counter in counts.values():
        for (doc_id, op), n in counter.items():
            docs.setdefault(doc_id, Counter())[op] += n
    return docs


def check_index(catalog: Catalog, stores: LayerStores, quick: bool = False) -> IndexCheck:
    """Compare the records with the vectors (module docstring).

    Vectors of a write that begins while the check reads are accounted for by reading
    the journal and the records again before anything is called unrecorded.

    With ``quick``, where the stores count their vectors (Milvus), an index with no write
    pending whose every layer holds exactly the vectors its records add up to is whole
    without listing a vector: ``count(layer) = sum_d vectors(d, layer)``. (A missing
    vector and an unrecorded one would have to cancel out, and unrecorded vectors come
    from interrupted writes, which leave a journal entry.) Any difference, or a store
    that does not count, gets the full comparison.
    """
    records, unreadable = catalog.readable_documents()
    pending = catalog.pending()
    if quick and not unreadable and not pending:
        totals = stores.vector_totals()
        if totals is not None and totals == _recorded_totals(records, totals):
            return IndexCheck(len(records), counted=True)
    counts = stores.vector_counts()
    report = IndexCheck(
        len(records),
        unreadable=unreadable,
        pending=len(pending),
        vectors_checked=counts is not None,
    )
    if counts is None:
        return report
    for doc_id, record in records.items():
        missing = [
            f"{layer} {counts[layer].get((doc_id, record.op), 0)}/{expected}"
            for layer, expected in record.vectors.items()
            if counts[layer].get((doc_id, record.op), 0) < expected
        ]
        if missing:
            report.damaged[doc_id] = ", ".join(missing)
    in_flight = {(p.doc_id, p.op) for p in pending}
    unrecorded: dict[str, int] = {}
    for doc_id, ops in _vectors_by_doc(counts).items():
        for op, n in ops.items():
            if (doc_id, op) in in_flight or doc_id in unreadable:
                continue
            recorded = records.get(doc_id)
            if recorded is None:
                unrecorded[doc_id] = unrecorded.get(doc_id, 0) + n
            elif recorded.op != op:
                report.orphans += n
    if unrecorded:  # a writer may have begun (or committed) since the first reads
        now_pending = {p.doc_id for p in catalog.pending()}
        now_recorded = set(catalog.readable_documents()[0])
        unrecorded = {d: n for d, n in unrecorded.items() if d not in now_pending | now_recorded}
    report.unrecorded = unrecorded
    return report


@dataclass
class RepairReport:
    """What :func:`repair_index` did: the check before, the documents whose records it
    rebuilt from their vectors, the documents it dropped (with ``drop``), and what it
    kept that still needs ``drop`` (``{doc_id: vectors}``)."""

    found: IndexCheck
    rebuilt: list[str] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    recovered: int = 0

    def __str__(self) -> str:
        parts = [f"found: {self.found}"]
        if self.recovered:
            parts.append(f"{self.recovered} interrupted write(s) recovered")
        if self.rebuilt:
            parts.append(
                f"rebuilt the records of {len(self.rebuilt)} document(s) from their vectors "
                "(ingest them again to refresh)"
            )
        if self.dropped:
            parts.append(
                f"dropped {sum(self.dropped.values())} vectors of {len(self.dropped)} "
                "document(s): ingest them again"
            )
        if self.kept:
            parts.append(
                f"kept {sum(self.kept.values())} vectors of {len(self.kept)} document(s) it "
                f"cannot repair ({', '.join(repr(d) for d in list(self.kept)[:3])}): "
                "--drop deletes them so that they can be ingested again"
            )
        return "; ".join(parts)


def _rebuilt_record(
    doc_id: str, ops: Counter[str], counts: dict[str, Counter[tuple[str, str]]]
) -> DocumentRecord:
    """A record for ``doc_id`` from its vectors: the version with the most chunk vectors."""
    chunk = counts.get("chunk", Counter())
    op = max(ops, key=lambda o: (chunk.get((doc_id, o), 0), ops[o]))
    vectors = {layer: counter.get((doc_id, op), 0) for layer, counter in counts.items()}
    return DocumentRecord(doc_id, "", op, vectors)


def repair_index(
    catalog: Catalog, stores: LayerStores, journal: Journal, drop: bool = False
) -> RepairReport:
    """Repair what can be repaired without losing anything (module docstring); with
    ``drop``, also remove the documents that cannot be repaired. Call it with the
    index's write lock held."""
    recovered = journal.recover(everything=True)
    found = check_index(catalog, stores)
    report = RepairReport(found, recovered=len(recovered))
    counts = stores.vector_counts()
    by_doc = _vectors_by_doc(counts) if counts is not None else {}
    for doc_id in found.unrecorded:
        if catalog.chunks_in_layers and counts is not None:
            catalog.commit(_rebuilt_record(doc_id, by_doc[doc_id], counts))
            report.rebuilt.append(doc_id)
        else:
            report.kept[doc_id] = found.unrecorded[doc_id]
    for doc_id in [*found.damaged, *found.unreadable]:
        report.kept[doc_id] = sum(by_doc.get(doc_id, Counter()).values())
    if drop:
        for doc_id, vectors in report.kept.items():
            catalog.remove(doc_id)
            stores.delete_versions(doc_id)
            report.dropped[doc_id] = vectors
        report.kept = {}
    records, unreadable = catalog.readable_documents()
    for doc_id in by_doc:  # leftovers of recorded documents; the rebuilt ones' other versions
        record = records.get(doc_id)
        if (
            record is not None
            and doc_id not in unreadable
            and doc_id not in found.damaged
            and set(by_doc[doc_id]) - {record.op}
        ):
            stores.delete_versions(doc_id, keep={record.op})
    return report
