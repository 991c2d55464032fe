"""Steps 1-3 of the demo: documents into memories, three-layer retrieval, one memory shown.

Example:
    >>> index, memories = ingest([Path("README.md")], Path("demo"), print)   # doctest: +SKIP
    >>> hits = ask(index, ["How are the layers fused?"], print)             # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .display import snippet

if TYPE_CHECKING:
    from mom_micro.memory import DocumentMemory

__all__ = ["EVIDENCE", "ask", "ingest", "layer_ranks", "show_memory"]


def ingest(
    paths: Sequence[Path], workdir: Path, out: Callable[[str], None]
) -> tuple[Any, dict[str, DocumentMemory]]:
    """Index ``paths`` under ``workdir/index`` (unchanged documents of a reused index are
    skipped); return the index and the memories read this run."""
    from llama_index.core import Document

    from mom_micro.memory import read_document
    from mom_micro.retrievers import MemoryIndex

    documents = [Document(text=read_document(p), id_=p.name) for p in paths]
    index = MemoryIndex.open(workdir / "index")
    report = index.add_documents(documents, show_progress=True)
    layers = index.layer_counts()
    out(
        f"{report}. Index at {workdir / 'index'}: "
        + ", ".join(f"{layers.get(k, 0)} {k} nodes" for k in ("outline", "core", "chunk"))
    )
    return index, report.memories


def show_memory(
    memories: dict[str, DocumentMemory], path: Path, out: Callable[[str], None]
) -> None:
    """Print the memory read while indexing; a document already in a reused index (not
    read this run) is read again with the same offline reader."""
    from mom_micro.memory import read_document
    from mom_micro.retrievers.nodes import default_reader

    memory = memories.get(path.name)
    if memory is None:
        memory = default_reader().extract(read_document(path), doc_id=path.name)
    out(memory.outline_tree())


#: The evidence each hit shows: the three layers' cosines, the chunk's best sentence probe
#: (None when no probe of it was found) and the BM25 word match.
EVIDENCE = ("chunk", "sentence", "core", "outline", "lexical")


def _evidence(meta: dict[str, Any], layer: str) -> float:
    value = meta[f"score_{layer}"]
    return float("-inf") if value is None else value


def layer_ranks(hits: Sequence[Any]) -> list[dict[str, int]]:
    """Each hit's rank in each evidence's own ordering of the candidates (outline: among
    the candidates' documents)."""
    ranks: list[dict[str, int]] = [{} for _ in hits]
    for layer in EVIDENCE:
        key = f"score_{layer}"
        if layer == "outline":
            docs = sorted(
                {(h.node.metadata[key], h.node.metadata["doc_id"]) for h in hits}, reverse=True
            )
            order = {doc: i for i, (_, doc) in enumerate(docs, 1)}
            for rank, hit in zip(ranks, hits):
                rank[layer] = order[hit.node.metadata["doc_id"]]
        else:
            by_score = sorted(
                range(len(hits)), key=lambda i: -_evidence(hits[i].node.metadata, layer)
            )
            for position, i in enumerate(by_score, 1):
                ranks[i][layer] = position
    return ranks


def ask(
    index: Any,
    questions: Sequence[str],
    out: Callable[[str], None],
    shown: int = 3,
    candidates: int = 20,
) -> dict[str, list[dict[str, Any]]]:
    """Ask each question of the three-layer retriever and print the top ``shown`` hits
    with each evidence's score and rank; return the hits."""
    retriever = index.as_retriever(similarity_top_k=candidates)
    found: dict[str, list[dict[str, Any]]] = {}
    out(
        f"(top {shown} of {candidates} fused candidates; '#r' is the hit's rank by that "
        "evidence alone, the outline ranking the documents; sentence = the chunk's best "
        "sentence; lexical = BM25 word match)"
    )
    for question in questions:
        out(f"\nQ: {question}")
        hits = retriever.retrieve(question)
        ranks = layer_ranks(hits)
        found[question] = []
        for rank, (hit, layer_rank) in enumerate(zip(hits[:shown], ranks), 1):
            meta = hit.node.metadata
            scores = " | ".join(
                f"{layer} {_evidence(meta, layer):.2f} #{layer_rank[layer]}"
                if meta[f"score_{layer}"] is not None
                else f"{layer} - #{layer_rank[layer]}"
                for layer in EVIDENCE
            )
            out(
                f"  {rank}. {meta['doc_id']} > {meta['title']!r}  p={meta['probability']:.2f}  "
                f"{scores}"
            )
            out(f"     {snippet(hit.node.get_content())}")
            found[question].append(
                {
                    "doc_id": meta["doc_id"],
                    "title": meta["title"],
                    "score": hit.score,
                    "layer_ranks": layer_rank,
                }
            )
    return found
