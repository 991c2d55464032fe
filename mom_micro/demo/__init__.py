"""The offline demo behind ``mom-micro demo`` (the README's first command).

It runs both halves of the package on a fresh machine with no network, in a few
minutes on two CPU cores:

1. **Memory retrieval.** The project's own documentation (``README.md`` and
   ``docs/*.md`` of a source checkout, or the files given) is read into document
   memories and indexed in embedded Chroma as three layers; one memory is printed as an
   outline tree, and a few questions are answered by the three-layer retriever, each hit
   showing its per-layer scores and the layers whose own search found it.
2. **Personalized ranking.** A small MiCRo model is trained on
   ``answer_styles.jsonl``, shipped beside this module. That file is **synthetic demo
   data written for mom-micro**, not a measurement of real users: 40 everyday questions,
   each with a one-sentence answer and a thorough step-by-step answer, labelled once for
   a user who wants short, direct answers and once for one who wants thorough
   explanations (80 pairs, ``"synthetic": true`` on every row). Two users then make a few
   choices each; their head weights move apart (a PNG plot is written), and the offline
   SmolLM2 -- through :class:`~mom_micro.plugins.langchain.LocalChatModel`, in the
   :func:`~mom_micro.chains.memory_rag_chain` -- writes candidate answers that each user
   gets ranked their own way.

Example:
    .. code-block:: python

        from mom_micro.demo import run_demo

        report = run_demo("./mom-micro-demo")       # prints as it goes
        report.best_answers["ana"], report.plot
"""

from __future__ import annotations

import random
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["DEMO_QUESTIONS", "STYLE_DATA", "DemoError", "DemoReport", "project_documents",
           "run_demo"]

STYLE_DATA = Path(__file__).with_name("answer_styles.jsonl")

DEMO_QUESTIONS = (
    "How are the three memory layers fused into one score?",
    "How do I use a Chroma server instead of the embedded store?",
    "What does stage 2 of MiCRo train?",
)

#: The answer instructions cycled over the candidate answers, so that they differ in
#: the way the demo users' preferences do.
STYLES = ("Answer in one short sentence.", "Explain it thoroughly, step by step.")

#: The demo users and their preference: the stated context of the pairs whose chosen
#: answer they pick.
USERS = {"ana": "I want short, direct answers.",
         "ben": "I want thorough, step-by-step explanations."}


class DemoError(RuntimeError):
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
    plot: Path | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def project_documents(root: str | Path | None = None) -> list[Path]:
    """``README.md`` and ``docs/*.md`` of the source checkout this package runs from
    (or of ``root``). Raises :class:`DemoError` when there are none (an installed wheel
    has no docs: pass your own files to :func:`run_demo`)."""
    root = Path(root) if root is not None else Path(__file__).resolve().parents[2]
    paths = [p for p in [root / "README.md", *sorted((root / "docs").glob("*.md"))] if p.is_file()]
    if not paths:
        raise DemoError(f"no README.md or docs/*.md under {root}; pass documents to read "
                        "(mom-micro demo --docs FILE...)")
    return paths


def _heading(out: Callable[[str], None], number: int, text: str) -> None:
    out(f"\n== {number}. {text} ==")


def _snippet(text: str, width: int = 150) -> str:
    return textwrap.shorten(" ".join(text.split()), width=width, placeholder=" ...")


# -- 1-3: memory retrieval ----------------------------------------------------------------
def _ingest(paths: Sequence[Path], workdir: Path, out: Callable[[str], None]) -> Any:
    from llama_index.core import Document

    from mom_micro.memory import read_document
    from mom_micro.retrievers import MemoryIndex

    documents = [Document(text=read_document(p), id_=p.name) for p in paths]
    index = MemoryIndex.open(workdir / "index")
    report = index.add_documents(documents, show_progress=True)
    layers = Counter(node.metadata.get("layer") for node in index.docstore.docs.values())
    out(f"{report}. Index at {workdir / 'index'}: "
        + ", ".join(f"{layers.get(k, 0)} {k} nodes" for k in ("outline", "core", "chunk")))
    return index


def _show_memory(index: Any, path: Path, out: Callable[[str], None]) -> None:
    """The memory read while indexing; a document already in a reused index (not read
    this run) is read again with the same offline reader."""
    from mom_micro.memory import read_document
    from mom_micro.plugins.llama_index.node_parser import default_reader

    memory = index.parser.memories.get(path.name)
    if memory is None:
        memory = default_reader().extract(read_document(path), doc_id=path.name)
    out(memory.outline_tree())


#: The evidence each hit shows: the three layers' cosines, the chunk's best sentence probe
#: (None when no probe of it was found) and the BM25 word match.
EVIDENCE = ("chunk", "sentence", "core", "outline", "lexical")


def _evidence(meta: dict[str, Any], layer: str) -> float:
    value = meta[f"score_{layer}"]
    return float("-inf") if value is None else value


def _layer_ranks(hits: Sequence[Any]) -> list[dict[str, int]]:
    """Each hit's rank in each evidence's own ordering of the candidates (outline: among
    the candidates' documents)."""
    ranks: list[dict[str, int]] = [{} for _ in hits]
    for layer in EVIDENCE:
        key = f"score_{layer}"
        if layer == "outline":
            docs = sorted({(h.node.metadata[key], h.node.metadata["doc_id"]) for h in hits},
                          reverse=True)
            order = {doc: i for i, (_, doc) in enumerate(docs, 1)}
            for rank, hit in zip(ranks, hits):
                rank[layer] = order[hit.node.metadata["doc_id"]]
        else:
            by_score = sorted(range(len(hits)),
                              key=lambda i: -_evidence(hits[i].node.metadata, layer))
            for position, i in enumerate(by_score, 1):
                ranks[i][layer] = position
    return ranks


def _ask(index: Any, questions: Sequence[str], out: Callable[[str], None],
         shown: int = 3, candidates: int = 20) -> dict[str, list[dict[str, Any]]]:
    retriever = index.as_retriever(similarity_top_k=candidates)
    found: dict[str, list[dict[str, Any]]] = {}
    out(f"(top {shown} of {candidates} fused candidates; '#r' is the hit's rank by that "
        "evidence alone, the outline ranking the documents; sentence = the chunk's best "
        "sentence; lexical = BM25 word match)")
    for question in questions:
        out(f"\nQ: {question}")
        hits = retriever.retrieve(question)
        ranks = _layer_ranks(hits)
        found[question] = []
        for rank, (hit, layer_rank) in enumerate(zip(hits[:shown], ranks), 1):
            meta = hit.node.metadata
            scores = " | ".join(
                f"{layer} {_evidence(meta, layer):.2f} #{layer_rank[layer]}"
                if meta[f"score_{layer}"] is not None else f"{layer} - #{layer_rank[layer]}"
                for layer in EVIDENCE)
            out(f"  {rank}. {meta['doc_id']} > {meta['title']!r}  p={meta['probability']:.2f}  "
                f"{scores}")
            out(f"     {_snippet(hit.node.get_content())}")
            found[question].append({"doc_id": meta["doc_id"], "title": meta["title"],
                                    "score": hit.score, "layer_ranks": layer_rank})
    return found


# -- 4-6: personalized ranking --------------------------------------------------------------
def _train_micro(workdir: Path, out: Callable[[str], None]) -> tuple[Any, dict[str, float], list]:
    from mom_micro.rewards import (
        MixtureRewardModel,
        PreferenceFeaturizer,
        UserProfileStore,
        evaluate,
        read_preferences,
    )
    from mom_micro.rewards.config import Stage1Config

    pairs, _ = read_preferences(STYLE_DATA)
    prompts = sorted({p.prompt for p in pairs})
    random.Random(0).shuffle(prompts)
    held_out = set(prompts[:8])
    train = [p for p in pairs if p.prompt not in held_out]
    test = [p for p in pairs if p.prompt in held_out]
    out(f"{STYLE_DATA.name}: {len(pairs)} synthetic pairs ({len(prompts)} questions x 2 "
        f"stated preferences); training on {len(train)}, holding out {len(test)} "
        f"({len(held_out)} questions)")
    model = MixtureRewardModel.create(PreferenceFeaturizer.minilm(), n_heads=4,
                                      stage1_context=True, profiles=UserProfileStore(None, 4))
    model.fit(train, Stage1Config(epochs=30, patience=30, val_fraction=0, lr=1e-2,
                                  progress=False))
    report = evaluate(model, model.featurizer.featurize(test))
    for context, accuracy in sorted(report.per_context.items()):
        count = report.counts[context]
        out(f"  held-out accuracy for {context!r}: {round(accuracy * count)}/{count}")
    path = model.save(workdir / "micro")
    out(f"  K=4 heads, stage 1 with the context-aware router (MixtureConfig(stage1_context="
        f"True): these pairs flip with the stated preference on the same question, which a "
        f"prompt-only router cannot split); saved to {path} (safetensors + JSON)")
    return model, report.per_context, train


def _users_choose(model: Any, train: list, out: Callable[[str], None],
                  choices: int = 6) -> dict[str, list[float]]:
    prior = model.router_weights(DEMO_QUESTIONS[0]).tolist()
    weights = {"before any choice": prior}
    out("  before any choice (stage-1 router, no context): head weights "
        + " ".join(f"{w:.2f}" for w in prior))
    for user, wants in USERS.items():
        for pair in [p for p in train if p.context == wants][:choices]:
            model.record_feedback(user, pair.prompt, pair.chosen, pair.rejected)
        weights[user] = model.router_weights(DEMO_QUESTIONS[0], user=user).tolist()
        out(f"  {user} ({wants!r}) picked {choices} answers; head weights now "
            + " ".join(f"{w:.2f}" for w in weights[user]))
    return weights


def _plot_weights(weights: dict[str, list[float]], path: Path) -> Path:
    from mom_micro.utils import atomic_write_figure, pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    heads = range(len(next(iter(weights.values()))))
    width = 0.8 / len(weights)
    for j, (user, values) in enumerate(weights.items()):
        ax.bar([k + j * width for k in heads], values, width,
               label=f"{user}: {USERS[user]}" if user in USERS else user)
    ax.set_xticks([k + 0.4 - width / 2 for k in heads], [f"head {k + 1}" for k in heads])
    ax.set_ylabel("router weight")
    ax.set_ylim(0, 1)
    ax.set_title("MiCRo head weights per user (synthetic demo data)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return atomic_write_figure(path, fig)


def _answer(index: Any, model: Any, question: str, n_answers: int, max_new_tokens: int,
            out: Callable[[str], None]) -> tuple[list[str], dict[str, str]]:
    from mom_micro.chains import memory_rag_chain
    from mom_micro.plugins.langchain import LocalChatModel, MoMRetriever, PersonalizedRanker

    ranker = PersonalizedRanker(model=model)
    llm = LocalChatModel(temperature=0.7, max_new_tokens=max_new_tokens)
    chain = memory_rag_chain(MoMRetriever(index=index, k=2), llm, ranker, n=n_answers,
                             styles=STYLES)
    out(f"Q: {question}\nSmolLM2-135M writes {n_answers} answers from the retrieved memory "
        f"(styles cycled: {' / '.join(STYLES)}) ...")
    first_user = next(iter(USERS))
    result = chain.invoke({"question": question, "user": first_user})
    candidates = sorted(result["ranking"].candidates, key=lambda c: c.index)
    texts = [c.text for c in candidates]
    for c in candidates:
        out(f"  [{c.index + 1}] {_snippet(c.text, 220)}")
    best = {}
    for user in USERS:
        ranking = (result["ranking"] if user == first_user else
                   ranker.invoke({"prompt": question, "candidates": texts, "user": user}))
        order = " > ".join(f"[{c.index + 1}]" for c in ranking.candidates)
        out(f"  {user}: {order}   best: [{ranking.best.index + 1}]")
        best[user] = ranking.best.text
    return texts, best


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
        n_answers: candidate answers SmolLM2 writes (0 skips generation).
        max_new_tokens: length limit of each answer.
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
        raise DemoError("documents are indexed by file name; these names repeat: "
                        + ", ".join(sorted({n for n in names if names.count(n) > 1})))
    report = DemoReport(workdir=workdir, documents=[p.name for p in paths])

    def step(name: str, began: float) -> None:
        report.seconds[name] = round(time.perf_counter() - began, 1)

    t = time.perf_counter()
    _heading(out, 1, f"Reading {len(paths)} documents into memories and indexing 3 layers")
    index = _ingest(paths, workdir, out)
    step("ingest", t)
    _heading(out, 2, "Three-layer retrieval")
    t = time.perf_counter()
    report.hits = _ask(index, questions, out)
    step("retrieval", t)
    top_doc = report.hits[questions[0]][0]["doc_id"]
    shown = next((p for p in paths if p.name == top_doc), paths[0])
    _heading(out, 3, f"The memory of {shown.name} (first question's top hit): outline, "
             "core content, chunk sizes")
    _show_memory(index, shown, out)

    _heading(out, 4, "Training a small MiCRo model on the shipped answer-style sample")
    t = time.perf_counter()
    model, report.held_out_accuracy, train = _train_micro(workdir, out)
    step("micro_training", t)
    _heading(out, 5, "Two users, a few choices each: their routing moves apart")
    report.head_weights = _users_choose(model, train, out)
    report.plot = _plot_weights(report.head_weights, workdir / "head_weights.png")
    out(f"  plot: {report.plot}")
    if n_answers > 0:
        _heading(out, 6, "Memory RAG: SmolLM2 answers, each user gets their best")
        t = time.perf_counter()
        question = questions[1] if len(questions) > 1 else questions[0]
        report.candidates, report.best_answers = _answer(index, model, question, n_answers,
                                                         max_new_tokens, out)
        step("generation", t)
        same = len(set(report.best_answers.values())) == 1
        out("  the two users get " + ("the same top answer" if same else "different top answers")
            + " from the same candidates")
    step("total", start)
    out(f"\nDone in {report.seconds['total']:.0f} s ("
        + ", ".join(f"{k} {v:.0f} s" for k, v in report.seconds.items() if k != "total")
        + f"). Outputs in {workdir}/")
    return report
