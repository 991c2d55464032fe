"""The offline tour behind ``mom-micro demo`` (the README's first command).

It runs both halves of the package on a fresh machine with no network, in a few
minutes on two CPU cores:

1. **Memory retrieval.** The project's own documentation (``README.md`` and the
   guides in ``docs/`` of a source checkout, or the files given) is read into document
   memories and indexed in embedded Chroma as three layers; one memory is printed as an
   outline tree, and a few questions are answered by the three-layer retriever, each hit
   showing its per-layer scores and the layers whose own search found it.
   (:mod:`.retrieval`)
2. **Personalized ranking.** A small MiCRo model is trained on the shipped synthetic
   answer-style sample (:mod:`.ranking`). Two users then make a few
   choices each; their head weights move apart (a PNG plot is written), and the offline
   SmolLM2 -- through :class:`~mom_micro.plugins.langchain.LocalChatModel`, in the
   :func:`~mom_micro.chains.memory_rag_chain` -- writes candidate answers that each user
   gets ranked their own way.
3. **An agent.** One ``create_agent`` with
   :class:`~mom_micro.plugins.langchain.BestOfNMiddleware` answers each user in their
   style, and one recorded choice in the agent's store changes a new user's next
   answer (:mod:`.agent`).

Example:
    .. code-block:: python

        from mom_micro.demo import run_demo

        report = run_demo("./mom-micro-demo")       # prints as it goes
        report.best_answers["ana"], report.plot
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mom_micro.errors import MomMicroError

from .agent import AgentReport, agents_answer_users
from .display import heading
from .ranking import answer_for_users, plot_head_weights, train_style_model, users_choose
from .retrieval import ask, ingest, show_memory

__all__ = ["DEMO_QUESTIONS", "DemoError", "DemoReport", "project_documents", "run_demo"]

DEMO_QUESTIONS = (
    "How are the three memory layers fused into one score?",
    "How do I use a Chroma server instead of the embedded store?",
    "What does stage 2 of MiCRo train?",
)


class DemoError(MomMicroError, RuntimeError):
    """The demo cannot run (e.g. no documents to read)."""


@dataclass
class DemoReport:
    """What a demo run produced (paths under ``workdir``) and how long each step took."""

    workdir: Path
    documents: list[str]
    hits: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    held_out_accuracy: dict[str, float] = field(default_factory=dict)
    head_weights: dict[str, list[float]] = field(default_factory=dict)
    candidates: list[str] = field(default_factory=list)
    best_answers: dict[str, str] = field(default_factory=dict)
    agent: AgentReport | None = None
    plot: Path | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def project_documents(root: str | Path | None = None) -> list[Path]:
    """``README.md`` and the guides in ``docs/*.md`` of the source checkout this package
    runs from (or of ``root``); ``docs/benchmarks.md`` is left out: its tables of figures
    answer no user's question, and their prose crowds out the guides. Raises :class:`DemoError` when there are none (an installed wheel
    has no docs: pass your own files to :func:`run_demo`)."""
    root = Path(root) if root is not None else Path(__file__).resolve().parents[2]
    guides = [p for p in sorted((root / "docs").glob("*.md")) if p.name != "benchmarks.md"]
    paths = [p for p in [root / "README.md", *guides] if p.is_file()]
    if not paths:
        raise DemoError(
            f"no README.md or docs/*.md under {root}; pass documents to read "
            "(mom-micro demo --docs FILE...)"
        )
    return paths


def run_demo(
    workdir: str | Path = "mom-micro-demo",
    documents: Sequence[str | Path] | None = None,
    questions: Sequence[str] = DEMO_QUESTIONS,
    n_answers: int = 4,
    max_new_tokens: int = 80,
    out: Callable[[str], None] = print,
) -> DemoReport:
    """Run the demo (see the module docstring), printing through ``out``.

    Args:
        workdir: folder for the index, the MiCRo model and the plot (reused: documents
            already indexed and unchanged are not read again).
        documents: text files to read (default: :func:`project_documents`).
        questions: asked of the three-layer retriever; the second (or only) one is also
            answered by SmolLM2 through the memory-RAG chain.
        n_answers: candidate answers SmolLM2 writes in step 6 (0 skips generation, and
            the agent of step 7, which draws 2 per answer: one short, one thorough).
        max_new_tokens: length limit of each answer.
        out: where the demo prints (one line per call).
    """
    if not questions:
        raise DemoError("the demo needs at least one question")
    start = time.perf_counter()
    workdir = Path(workdir)
    paths = [Path(p) for p in documents] if documents else project_documents()
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise DemoError(f"no such document: {', '.join(missing)}")
    names = [p.name for p in paths]
    if len(set(names)) < len(names):
        raise DemoError(
            "documents are indexed by file name; these names repeat: "
            + ", ".join(sorted({n for n in names if names.count(n) > 1}))
        )
    report = DemoReport(workdir=workdir, documents=[p.name for p in paths])

    def step(name: str, began: float) -> None:
        report.seconds[name] = round(time.perf_counter() - began, 1)

    t = time.perf_counter()
    heading(out, 1, f"Reading {len(paths)} documents into memories and indexing 3 layers")
    index, memories = ingest(paths, workdir, out)
    step("ingest", t)
    heading(out, 2, "Three-layer retrieval")
    t = time.perf_counter()
    report.hits = ask(index, questions, out)
    step("retrieval", t)
    top_doc = report.hits[questions[0]][0]["doc_id"]
    shown = next((p for p in paths if p.name == top_doc), paths[0])
    heading(
        out,
        3,
        f"The memory of {shown.name} (first question's top hit): outline, "
        "core content, chunk sizes",
    )
    show_memory(memories, shown, out)

    heading(out, 4, "Training a small MiCRo model on the shipped answer-style sample")
    t = time.perf_counter()
    model, report.held_out_accuracy, train = train_style_model(workdir, out)
    step("micro_training", t)
    heading(out, 5, "Two users, a few choices each: their routing moves apart")
    report.head_weights = users_choose(model, train, questions[0], out)
    report.plot = plot_head_weights(report.head_weights, workdir / "head_weights.png")
    out(f"  plot: {report.plot}")
    if n_answers > 0:
        heading(out, 6, "Memory RAG: SmolLM2 answers, each user gets their best")
        t = time.perf_counter()
        question = questions[1] if len(questions) > 1 else questions[0]
        report.candidates, report.best_answers = answer_for_users(
            index, model, question, n_answers, max_new_tokens, out
        )
        step("generation", t)
        same = len(set(report.best_answers.values())) == 1
        out(
            "  the two users get "
            + ("the same top answer" if same else "different top answers")
            + " from the same candidates"
        )
        heading(out, 7, "An agent: best-of-n for the user in create_agent, profiles in its store")
        t = time.perf_counter()
        report.agent = agents_answer_users(model, out, n=2, max_new_tokens=max_new_tokens)
        step("agent", t)
    step("total", start)
    out(
        f"\nDone in {report.seconds['total']:.0f} s ("
        + ", ".join(f"{k} {v:.0f} s" for k, v in report.seconds.items() if k != "total")
        + f"). Outputs in {workdir}/"
    )
    return report
