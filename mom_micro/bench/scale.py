"""``mom-micro bench scale``: what a memory index costs as its corpus grows, in each
location (Chroma embedded, a Chroma server, Milvus Lite), in one run.

The corpus (:mod:`.scale_corpus`) is a QA set's documents, then real text files as
distractors. For each size (a chunk count, e.g. 1,000, 10,000, 100,000), documents are
taken in order until the first location's index holds at least that many chunks; every
location is given the same documents, so each index grows through the sizes and each
step ingests only its increment. Each step, in each location, runs two fresh processes
(:mod:`.client`), one after another (Milvus Lite opens a file in one process at a
time; this process never opens an index):

- the **ingest**: open the index, add the step's documents (read from their files as
  they go in): ``chunks_per_s`` and the process's ``ingest_peak_mb``;
- a **fresh client**: ``MemoryIndex.load``, the embedding model, one question
  (``first_answer_s``, imports apart), then every question of the QA set at corpus
  scope: ``query_p50_ms`` / ``query_p95_ms`` (the question's embedding included) and
  ``hit@B`` (the answer within the first B words, over the questions whose answer is
  verbatim in their document, as in ``bench retrieval``).

Each cost is also fitted against the chunks held, ``log cost = a + slope * log chunks``
(least squares), and the run judges the scale goals (:func:`judge_goals`, docs/scaling.md).

Example:
    >>> corpus = build_corpus("qa.jsonl", ["docs/*.txt"])                 # doctest: +SKIP
    >>> result = run_scale_bench(corpus, [1000, 10000], ["chroma", "milvus-lite"])   # doctest: +SKIP
    >>> write_scale_outputs(result, "scale.json")                          # doctest: +SKIP
"""

from __future__ import annotations

import importlib.util
import logging
import math
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mom_micro.figures import atomic_write_figure, pyplot

from .chroma_run import HOST, LocalChromaServer, free_port
from .client import ask_questions, ingest_step
from .outputs import markdown_rows, write_outputs
from .scale_corpus import ScaleCorpus, ScaleInputError, build_corpus, check_sizes

__all__ = [
    "COSTS",
    "LOCATIONS",
    "build_corpus",
    "check_locations",
    "judge_goals",
    "loglog_slope",
    "plot_scale",
    "run_scale_bench",
    "scale_markdown",
    "write_scale_outputs",
]

logger = logging.getLogger(__name__)

LOCATIONS = ("chroma", "chroma-server", "milvus-lite")

#: The costs fitted against the corpus size (and drawn, the first four).
COSTS = (
    "chunks_per_s",
    "ingest_peak_mb",
    "first_answer_s",
    "query_p50_ms",
    "query_p95_ms",
    "client_peak_mb",
)

#: The goals' thresholds: first answer on Milvus Lite, largest / smallest size; query
#: p50 growth per tenfold corpus; hit@B, Milvus Lite against Chroma embedded; ingest
#: peak memory, largest / smallest step (1.25: flat but for noise; our choice).
FIRST_ANSWER_RATIO = 1.5
P50_PER_TENFOLD = 2.0
HIT_GAP = 0.01
INGEST_PEAK_RATIO = 1.25


def check_locations(locations: Sequence[str]) -> list[str]:
    """``locations`` checked: known names, each once, Milvus Lite installed when named.

    Example:
        >>> check_locations(["chroma", "chroma-server"])
        ['chroma', 'chroma-server']
    """
    locations = list(dict.fromkeys(locations))
    unknown = [name for name in locations if name not in LOCATIONS]
    if unknown or not locations:
        raise ScaleInputError(f"unknown location(s) {unknown}: choose from {', '.join(LOCATIONS)}")
    if "milvus-lite" in locations:
        missing = [m for m in ("pymilvus", "milvus_lite") if importlib.util.find_spec(m) is None]
        if missing:
            raise ScaleInputError(
                f"milvus-lite needs {' and '.join(missing)}: pip install 'mom-micro[scale]'"
            )
    return locations


def loglog_slope(xs: Sequence[float], ys: Sequence[float | None]) -> float | None:
    """The least-squares slope of ``log y`` against ``log x``; None with fewer than two
    points with positive values (a cost that grows as ``x ** s`` has slope ``s``).

    Example:
        >>> loglog_slope([1000, 10000, 100000], [2.0, 20.0, 200.0])
        1.0
        >>> loglog_slope([1000, 10000], [5.0, 5.0])
        0.0
        >>> loglog_slope([1000], [5.0]) is None
        True
    """
    points = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x > 0 and y and y > 0]
    if len(points) < 2 or len({x for x, _ in points}) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in points)
    variance = sum((x - mean_x) ** 2 for x, _ in points)
    return round(covariance / variance, 3)


@contextmanager
def _chroma_server(
    work: Path, needed: bool, given: tuple[str, int] | None, log: Callable[[str], None]
) -> Iterator[tuple[str, int] | None]:
    """The Chroma server given, or one of our own on a free loopback port (stopped at
    the end); None when no location needs one."""
    if not needed or given is not None:
        yield given if needed else None
        return
    server = LocalChromaServer(work / "chroma-server", free_port(), HOST)
    log(f"starting chroma run on {HOST}:{server.port} ...")
    with server:
        yield server.host, server.port


def _locations(
    names: Sequence[str], work: Path, server: tuple[str, int] | None, name: str
) -> dict[str, dict[str, Any]]:
    """The ``MemoryIndex.open`` options of each location."""
    options: dict[str, dict[str, Any]] = {}
    for location in names:
        if location == "chroma":
            options[location] = {"persist_dir": str(work / "chroma-index")}
        elif location == "chroma-server" and server is not None:
            options[location] = {
                "chroma_host": server[0],
                "chroma_port": server[1],
                "index_name": name,
            }
        elif location == "milvus-lite":
            options[location] = {"milvus_uri": str(work / "milvus.db"), "index_name": name}
    return options


def _step(
    corpus: ScaleCorpus,
    where: dict[str, Any],
    documents: list[dict[str, Any]],
    target: int | None,
    required: int,
    budget: int,
) -> dict[str, Any]:
    """One location's step: the ingest, then a fresh client; its figures."""
    ingest = ingest_step(where, documents, target, required)
    ask = ask_questions(where, corpus.dataset_path, corpus.limit_docs, budget)
    return {
        "documents": ingest["documents"],
        "chunks": ingest["chunks"],
        "chunks_added": ingest["chunks_added"],
        "ingest_s": ingest["ingest_s"],
        "chunks_per_s": ingest["chunks_per_s"],
        "ingest_open_s": ingest["open_s"],
        "ingest_base_mb": ingest["rss_before_add_mb"],
        "ingest_peak_mb": ingest["peak_rss_mb"],
        "rejected": ingest["rejected"],
        "import_s": ask["import_s"],
        "open_s": ask["open_s"],
        "model_s": ask["model_s"],
        "first_query_s": ask["first_query_s"],
        "first_answer_s": ask["first_answer_s"],
        f"hit@{budget}": ask[f"hit@{budget}"],
        f"recall@{budget}": ask[f"recall@{budget}"],
        "hit_questions": ask["hit_questions"],
        "query_p50_ms": ask["query_p50_ms"],
        "query_p95_ms": ask["query_p95_ms"],
        "client_peak_mb": ask["peak_rss_mb"],
        "added": ingest["added"],
    }


def run_scale_bench(
    corpus: ScaleCorpus,
    sizes: Sequence[int],
    locations: Sequence[str] = LOCATIONS,
    budget: int = 400,
    chroma_server: tuple[str, int] | None = None,
    work: str | Path | None = None,
    log: Callable[[str], None] = logger.info,
) -> dict[str, Any]:
    """Grow an index of ``corpus`` through ``sizes`` (chunks) in every location and
    measure each step (module docstring); return the figures.

    ``chroma_server``: ``(host, port)`` of a running server for ``chroma-server`` (None:
    one is started in ``work`` and stopped at the end; a given server keeps the index,
    named ``scale-<run id>``). ``work``: where the folder index, the Milvus Lite file
    and our server's data go (None: a temporary folder, removed at the end).

    A size the documents cannot reach ends the run after the step that used them all;
    the sizes left are listed in ``unreached``. A first size smaller than the QA
    documents' own chunks is an error: the same questions are asked at every size.
    """
    sizes = check_sizes(sizes)
    locations = check_locations(locations)
    run_id = f"{int(time.time() * 1000) % 10**9}"
    temporary = work is None
    folder = Path(tempfile.mkdtemp(prefix="mom-bench-scale-") if work is None else work)
    folder.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "dataset": corpus.dataset.name,
        "dataset_path": corpus.dataset_path,
        "limit_docs": corpus.limit_docs,
        "distractors": corpus.distractors,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "qa_documents": corpus.qa_documents,
        "questions": len(corpus.dataset.questions),
        "documents_available": len(corpus.documents),
        "skipped_duplicates": corpus.skipped_duplicates,
        "skipped_unreadable": corpus.skipped_unreadable,
        "sizes": sizes,
        "budget": budget,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "locations": {name: {"steps": []} for name in locations},
        "unreached": [],
    }
    log(
        f"[{corpus.dataset.name}] {corpus.qa_documents} QA documents, "
        f"{len(corpus.documents) - corpus.qa_documents} distractors "
        f"({corpus.skipped_duplicates} repeated texts and {corpus.skipped_unreadable} "
        "empty or non-UTF-8 files skipped)"
    )
    try:
        needed = "chroma-server" in locations
        with _chroma_server(folder, needed, chroma_server, log) as server:
            where = _locations(locations, folder, server, f"scale-{run_id}")
            for name in locations:
                result["locations"][name]["where"] = where[name]
            _grow(corpus, sizes, where, budget, result, log)
    finally:
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)
    for figures in result["locations"].values():
        chunks = [step["chunks"] for step in figures["steps"]]
        figures["slopes"] = {
            cost: loglog_slope(chunks, [step[cost] for step in figures["steps"]]) for cost in COSTS
        }
    result["goals"] = judge_goals(result)
    return result


def _grow(
    corpus: ScaleCorpus,
    sizes: list[int],
    where: dict[str, dict[str, Any]],
    budget: int,
    result: dict[str, Any],
    log: Callable[[str], None],
) -> None:
    """The steps, size by size; within a size the first location picks the documents."""
    position = 0
    for number, size in enumerate(sizes):
        plan: list[dict[str, Any]] | None = None
        for name, options in where.items():
            log(f"[{size} chunks] {name}: ingest, then a fresh client ...")
            if plan is None:
                step = _step(
                    corpus,
                    options,
                    corpus.documents[position:],
                    size,
                    max(corpus.qa_documents - position, 0),
                    budget,
                )
                added = set(step["added"])
                plan = [d for d in corpus.documents[position:] if d["id"] in added]
                position += len(plan)
                qa_alone = number == 0 and len(plan) == corpus.qa_documents
                if qa_alone and step["chunks"] > size:
                    raise ScaleInputError(
                        f"the {corpus.qa_documents} QA documents alone hold {step['chunks']} "
                        f"chunks, more than the first size {size}: give a first size of at "
                        "least that, or fewer QA documents (--limit-docs)"
                    )
                if not plan:
                    raise ScaleInputError(
                        f"size {size}: the index already holds {step['chunks']} chunks "
                        "after the previous size; give sizes further apart"
                    )
            else:
                step = _step(corpus, options, plan, None, 0, budget)
            del step["added"]
            result["locations"][name]["steps"].append({"size": size, **step})
            log(
                f"[{size} chunks] {name}: {step['chunks']} chunks ({step['chunks_added']} "
                f"added at {step['chunks_per_s']}/s, peak {step['ingest_peak_mb']} MB); first "
                f"answer {step['first_answer_s']}s; p50 {step['query_p50_ms']} ms; "
                f"hit@{budget} {step[f'hit@{budget}']}"
            )
        first = result["locations"][next(iter(where))]["steps"][-1]
        if first["chunks"] < size:
            result["unreached"] = sizes[number:]
            log(
                f"size {size} not reached: all {len(corpus.documents)} documents give "
                f"{first['chunks']} chunks; the run stops here (sizes reached: "
                f"{sizes[:number] or 'none'})"
            )
            return


# -- the goals ------------------------------------------------------------------------------
def _status(measured: Sequence[bool | None]) -> str:
    """``not met`` if any is False, else ``not measured`` if any is None, else ``met``."""
    if any(m is False for m in measured):
        return "not met"
    if any(m is None for m in measured) or not measured:
        return "not measured"
    return "met"


def _ratio(steps: list[dict[str, Any]], cost: str) -> float | None:
    if len(steps) < 2 or not steps[0].get(cost) or steps[-1].get(cost) is None:
        return None
    return round(steps[-1][cost] / steps[0][cost], 3)


def _per_location(
    result: dict[str, Any], judge: Callable[[list[dict[str, Any]]], dict[str, Any]]
) -> tuple[dict[str, Any], str]:
    """``judge`` of each location's steps (``{..., "met": bool | None}``), and the goal's
    status over all three locations (one not run is not measured)."""
    figures = {}
    for name in LOCATIONS:
        steps = result["locations"].get(name, {}).get("steps", [])
        figures[name] = judge(steps) if len(steps) >= 2 else {"met": None}
    return figures, _status([f["met"] for f in figures.values()])


def judge_goals(result: dict[str, Any]) -> dict[str, Any]:
    """The scale goals (docs/scaling.md) on a run's figures, each with its ``status`` (``met``,
    ``not met`` or ``not measured``: a location not run, a single size), its threshold
    and the figures it compares.

    Example:
        >>> steps = [{"size": n, "chunks": n, "first_answer_s": s, "query_p50_ms": 10.0,
        ...           "ingest_peak_mb": 500.0, "hit@400": 0.5} for n, s in ((1000, 2), (10000, 4))]
        >>> goals = judge_goals({"budget": 400, "locations": {"milvus-lite": {"steps": steps}}})
        >>> goals["first_answer_milvus"]["status"], goals["hit_milvus_vs_chroma"]["status"]
        ('not met', 'not measured')
    """
    budget = result["budget"]
    goals: dict[str, Any] = {}
    milvus = result["locations"].get("milvus-lite", {}).get("steps", [])
    ratio = _ratio(milvus, "first_answer_s")
    goals["first_answer_milvus"] = {
        "goal": "a fresh client's first answer on Milvus Lite, largest / smallest size",
        "threshold": FIRST_ANSWER_RATIO,
        "ratio": ratio,
        "first_answer_s": [s["first_answer_s"] for s in milvus],
        "status": _status([None if ratio is None else ratio <= FIRST_ANSWER_RATIO]),
    }

    def p50(steps: list[dict[str, Any]]) -> dict[str, Any]:
        tenfolds = math.log10(steps[-1]["chunks"] / steps[0]["chunks"])
        if tenfolds <= 0 or not steps[0]["query_p50_ms"]:
            return {"per_tenfold": None, "met": None}
        growth = (steps[-1]["query_p50_ms"] / steps[0]["query_p50_ms"]) ** (1 / tenfolds)
        return {
            "per_tenfold": round(growth, 3),
            "query_p50_ms": [s["query_p50_ms"] for s in steps],
            "met": growth <= P50_PER_TENFOLD,
        }

    figures, status = _per_location(result, p50)
    goals["query_p50_growth"] = {
        "goal": "query p50 growth per tenfold corpus, (p50_last / p50_first) ** "
        "(1 / log10(chunks_last / chunks_first)), in each location",
        "threshold": P50_PER_TENFOLD,
        "locations": figures,
        "status": status,
    }

    def memory(steps: list[dict[str, Any]]) -> dict[str, Any]:
        peak = _ratio(steps, "ingest_peak_mb")
        return {
            "ratio": peak,
            "ingest_peak_mb": [s["ingest_peak_mb"] for s in steps],
            "met": None if peak is None else peak <= INGEST_PEAK_RATIO,
        }

    figures, status = _per_location(result, memory)
    goals["ingest_memory_flat"] = {
        "goal": "peak memory of an ingest step, largest / smallest step, in each location",
        "threshold": INGEST_PEAK_RATIO,
        "locations": figures,
        "status": status,
    }
    chroma = result["locations"].get("chroma", {}).get("steps", [])
    metric = f"hit@{budget}"
    pairs = [
        {
            "size": c["size"],
            "chunks": [c["chunks"], m["chunks"]],
            "chroma": c[metric],
            "milvus-lite": m[metric],
            "gap": round(abs(c[metric] - m[metric]), 4),
        }
        for c, m in zip(chroma, milvus)
    ]
    goals["hit_milvus_vs_chroma"] = {
        "goal": f"abs({metric} Milvus Lite - {metric} Chroma embedded) at each size",
        "threshold": HIT_GAP,
        "sizes": pairs,
        "status": _status([p["gap"] <= HIT_GAP for p in pairs] or [None]),
    }
    return goals


# -- outputs --------------------------------------------------------------------------------
_COLUMNS = (
    "chunks",
    "documents",
    "chunks_per_s",
    "ingest_peak_mb",
    "import_s",
    "open_s",
    "first_answer_s",
    "query_p50_ms",
    "query_p95_ms",
    "client_peak_mb",
)


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def scale_markdown(result: dict[str, Any]) -> str:
    """The figures as Markdown: a row per location and size, the slopes, the goals."""
    metric = f"hit@{result['budget']}"
    rows = {
        f"{name} @ {step['size']}": step
        for name, figures in result["locations"].items()
        for step in figures["steps"]
    }
    lines = [
        f"### bench scale: {result['dataset']} ({result['qa_documents']} QA documents, "
        f"{result['questions']} questions), distractors added; "
        f"{result['machine']['cpus']} CPUs",
        "",
        *markdown_rows("location @ size", [*_COLUMNS, metric], rows, _cell),
        "",
        *markdown_rows(
            "slope (log-log)",
            list(COSTS),
            {name: figures["slopes"] for name, figures in result["locations"].items()},
            _cell,
        ),
        "",
        "| goal | threshold | status |",
        "|---|---:|---|",
    ]
    for name, goal in result["goals"].items():
        lines.append(f"| {name}: {goal['goal']} | {goal['threshold']} | {goal['status']} |")
    if result["unreached"]:
        lines += ["", f"Sizes not reached (too few documents): {result['unreached']}"]
    return "\n".join(lines) + "\n"


def plot_scale(result: dict[str, Any], path: Path) -> Path:
    """Four log-log panels of cost against chunks held, a line per location with its
    slope in the legend (PNG at ``path``)."""
    plt = pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(10, 8))
    labels = {
        "chunks_per_s": "ingest chunks/s",
        "ingest_peak_mb": "ingest peak RSS (MB)",
        "first_answer_s": "fresh client: first answer (s)",
        "query_p50_ms": "query p50 (ms)",
    }
    for ax, (cost, label) in zip(axes.flat, labels.items()):
        for name, figures in result["locations"].items():
            steps = [s for s in figures["steps"] if s.get(cost)]
            slope = figures["slopes"][cost]
            ax.plot(
                [s["chunks"] for s in steps],
                [s[cost] for s in steps],
                marker="o",
                label=f"{name} (slope {slope if slope is not None else 'n/a'})",
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("chunks in the index")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    fig.suptitle(f"bench scale: {result['dataset']} + distractors")
    fig.tight_layout()
    return atomic_write_figure(path, fig)


def write_scale_outputs(result: dict[str, Any], out: str | Path) -> list[Path]:
    """Write ``out`` (JSON), and beside it ``.md`` (the tables) and ``.png`` (log-log)."""
    return write_outputs(result, out, scale_markdown(result), plot_scale)
