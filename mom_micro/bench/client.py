"""Fresh clients: a new Python process (``sys.executable``, this environment) that opens
an index and does one thing -- the benchmarks' way of measuring what a new client pays,
apart from anything the benchmark itself holds in memory.

Three kinds, each given its JSON on stdin and printing its figures as one JSON line:

- :func:`open_cost` -- ``MemoryIndex.load``: import and load seconds, documents, chunks;
- :func:`ingest_step` -- open (or create) an index and add documents read from their
  files one group at a time, until it holds ``target_chunks`` chunks: chunks added,
  seconds, chunks/s and the process's peak RSS;
- :func:`ask_questions` -- open an index, answer one question (a fresh client's first
  answer), then every question of a QA set: hit@B, query p50 / p95 and peak RSS.

Milvus Lite lets one process open a file at a time: each client closes its index before
it exits, and the caller runs them one after another.

Example:
    >>> open_cost({"persist_dir": "./idx"})   # doctest: +SKIP
    {'import_s': 2.1, 'load_s': 0.4, 'documents': 4, 'chunks': 120}
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mom_micro.errors import MomMicroError

__all__ = ["ClientFailed", "ask_questions", "ingest_step", "open_cost", "peak_rss_mb"]

#: Documents per ``add_documents`` call at most (fewer near the target, so a step stops
#: close to its size).
GROUP = 8


class ClientFailed(MomMicroError, RuntimeError):
    """A fresh client exited with an error; the message names what it did and ends with
    its stderr."""


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (``getrusage``'s
    ``ru_maxrss``: KB on Linux, bytes on macOS).

    Example:
        >>> peak_rss_mb() > 1
        True
    """
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def _run(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Run ``python -m mom_micro.bench.client KIND`` with ``payload`` on stdin; its last
    stdout line, parsed. The child imports the ``mom_micro`` this process runs (its
    folder first on ``PYTHONPATH``), whatever else is installed."""
    here = str(Path(__file__).resolve().parents[2])
    paths = [here, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    run = subprocess.run(
        [sys.executable, "-m", "mom_micro.bench.client", kind],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))},
    )
    if run.returncode != 0:
        raise ClientFailed(
            f"a fresh client ({kind}) failed on {payload['location']}: {run.stderr[-1500:]}"
        )
    return dict(json.loads(run.stdout.strip().splitlines()[-1]))


def open_cost(location: dict[str, Any]) -> dict[str, Any]:
    """Open the index at ``location`` (``MemoryIndex.load`` options) in a fresh Python
    process; its import and load seconds, documents and chunks."""
    return _run("open", {"location": location})


def ingest_step(
    location: dict[str, Any],
    documents: Sequence[dict[str, Any]],
    target_chunks: int | None = None,
    required: int = 0,
) -> dict[str, Any]:
    """In a fresh process, open the index at ``location`` (``MemoryIndex.open``: created
    when it is not there) and add ``documents`` in order -- each ``{"id", "path"}`` (a
    text file) or ``{"id", "path", "record"}`` (document ``record`` of the QA set at
    ``path``), read when its group is added -- until the index holds ``target_chunks``
    chunks (None: all of them; the first ``required`` always go in).

    Returns ``added`` (ids), ``rejected``, ``chunks_added``, ``chunks``, ``documents``,
    ``open_s``, ``ingest_s`` (the ``add_documents`` calls, reading the files
    included; the embedding model is loaded before), ``chunks_per_s``,
    ``rss_before_add_mb`` (peak RSS once opened and the model loaded) and
    ``peak_rss_mb``."""
    return _run(
        "ingest",
        {
            "location": location,
            "documents": list(documents),
            "target_chunks": target_chunks,
            "required": required,
        },
    )


def ask_questions(
    location: dict[str, Any], dataset: str, limit_docs: int | None, budget: int
) -> dict[str, Any]:
    """In a fresh process, open the index at ``location`` and answer the first question
    of the QA set ``dataset`` (its first ``limit_docs`` documents), then ask every
    question at corpus scope (:func:`~mom_micro.bench.retrieval.evaluate_systems`).

    Returns ``import_s``, ``open_s`` (``MemoryIndex.load``), ``model_s`` (loading the
    embedding model), ``first_query_s``, ``first_answer_s`` (open + model + first
    query, no imports), ``documents``, ``chunks``, ``hit@B``, ``recall@B``,
    ``query_p50_ms``, ``query_p95_ms``, ``hit_questions`` and ``peak_rss_mb``."""
    return _run(
        "ask",
        {"location": location, "dataset": dataset, "limit_docs": limit_docs, "budget": budget},
    )


# -- in the fresh process ----------------------------------------------------------------
def _open(payload: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    from mom_micro.retrievers import MemoryIndex

    imported = time.perf_counter()
    options = dict(payload["location"])
    with MemoryIndex.load(options.pop("persist_dir", None), **options) as index:
        opened = time.perf_counter()
        return {
            "import_s": imported - started,
            "load_s": opened - imported,
            "documents": len(index),
            "chunks": len(index.chunk_nodes()),
        }


def _read(document: dict[str, Any], datasets: dict[str, Any]) -> Any:
    """The LlamaIndex ``Document`` of one entry of :func:`ingest_step`'s list."""
    from llama_index.core import Document

    from .data import load_dataset

    if document.get("record") is None:
        with open(document["path"], encoding="utf-8") as handle:
            text = handle.read()
    else:
        if document["path"] not in datasets:
            datasets[document["path"]] = load_dataset(document["path"])
        text = datasets[document["path"]].documents[document["record"]]
    return Document(text=text, id_=document["id"])


def _ingest(payload: dict[str, Any]) -> dict[str, Any]:
    from mom_micro.retrievers import MemoryIndex
    from mom_micro.retrievers.nodes import LAYER_CHUNK

    target, required = payload["target_chunks"], payload["required"]
    todo: list[dict[str, Any]] = list(payload["documents"])
    options = dict(payload["location"])
    started = time.perf_counter()
    with MemoryIndex.open(options.pop("persist_dir", None), **options) as index:
        open_s = time.perf_counter() - started
        index.embed_model.get_query_embedding("warm up")  # the model load is not ingest
        before_mb = peak_rss_mb()
        first = chunks = index.layer_counts()[LAYER_CHUNK]
        datasets: dict[str, Any] = {}
        added: list[str] = []
        rejected: list[str] = []
        ingest_s = 0.0
        while todo:
            if len(added) < required:
                n = min(GROUP, required - len(added))
            elif target is None:
                n = GROUP
            elif chunks >= target:
                break
            else:  # near the target, fewer documents at a time
                per_doc = max((chunks - first) / max(len(added), 1), 1.0)
                n = max(1, min(GROUP, math.ceil((target - chunks) / per_doc)))
            group, todo = todo[:n], todo[n:]
            began = time.perf_counter()
            report = index.add_documents([_read(d, datasets) for d in group])
            ingest_s += time.perf_counter() - began
            added += [d["id"] for d in group]
            rejected += [f"{r.doc_id}: {r.reason}" for r in report.rejected]
            chunks = index.layer_counts()[LAYER_CHUNK]
        return {
            "added": added,
            "rejected": rejected,
            "chunks_added": chunks - first,
            "chunks": chunks,
            "documents": len(index),
            "open_s": round(open_s, 3),
            "ingest_s": round(ingest_s, 3),
            "chunks_per_s": round((chunks - first) / ingest_s, 2) if ingest_s else None,
            "rss_before_add_mb": before_mb,
            "peak_rss_mb": peak_rss_mb(),
        }


def _ask(payload: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    from llama_index.core.schema import QueryBundle

    from mom_micro.retrievers import MemoryIndex

    from .data import load_dataset

    imported = time.perf_counter()
    dataset = load_dataset(payload["dataset"], payload["limit_docs"])
    options = dict(payload["location"])
    budget = int(payload["budget"])
    began = time.perf_counter()
    with MemoryIndex.load(options.pop("persist_dir", None), **options) as index:
        opened = time.perf_counter()
        index.embed_model.get_query_embedding("warm up")
        loaded = time.perf_counter()
        from .retrieval import evaluate_systems, mom_retrieve, retriever_top_k

        chunks = index.chunk_nodes()
        base = index.as_retriever(similarity_top_k=retriever_top_k(chunks, budget))
        asked = time.perf_counter()
        base.retrieve(QueryBundle(dataset.questions[0].text))
        answered = time.perf_counter()
        figures = evaluate_systems(
            {"mom": mom_retrieve(base)}, dataset, [budget], "corpus", index.embed_model
        )["mom"]
        return {
            "import_s": round(imported - started, 3),
            "open_s": round(opened - began, 3),
            "model_s": round(loaded - opened, 3),
            "first_query_s": round(answered - asked, 3),
            "first_answer_s": round((opened - began) + (loaded - opened) + (answered - asked), 3),
            "documents": len(index),
            "chunks": len(chunks),
            **figures,
            "peak_rss_mb": peak_rss_mb(),
        }


_KINDS = {"open": _open, "ingest": _ingest, "ask": _ask}


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m mom_micro.bench.client open|ingest|ask``: the payload on stdin, the
    figures as the last line of stdout."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or args[0] not in _KINDS:
        sys.stderr.write(f"usage: python -m mom_micro.bench.client {'|'.join(_KINDS)}\n")
        return 2
    sys.stdout.write(json.dumps(_KINDS[args[0]](json.loads(sys.stdin.read()))) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
