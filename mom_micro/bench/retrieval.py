"""``mom-micro bench retrieval``: MoM three-layer retrieval against LlamaIndex baselines.

Systems (all with the same embedding model, each in its own in-memory Chroma):

- ``fixed128`` / ``fixed256``: ``SentenceSplitter(chunk_size=128|256, chunk_overlap=20)``;
- ``semantic``: ``SemanticSplitterNodeParser`` (LlamaIndex defaults: buffer 1, 95th
  percentile breakpoints);
- ``hierarchical``: ``HierarchicalNodeParser`` [1024, 256, 64], leaves embedded, all
  levels in the docstore, ``AutoMergingRetriever`` on top;
- ``hybrid128``: ``fixed128``'s chunks with the same BM25 evidence ``mom`` uses, each
  chunk scored ``cos + beta_lexical * lex`` (:mod:`mom_micro.retrievers.lexical`) -- so
  one can tell what the memory adds beyond the words;
- ``llamaindex_hybrid``: the hybrid a LlamaIndex user builds from LlamaIndex's own
  guide, on ``fixed128``'s chunks (``SentenceSplitter`` 128 tokens, overlap 20):
  ``BM25Retriever`` (``llama-index-retrievers-bm25``, on bm25s, English stemmer and stop
  words) and the vector retriever fused by ``QueryFusionRetriever`` in mode
  ``reciprocal_rerank`` with ``num_queries=1`` (no LLM writes extra queries);
- ``mom``: :class:`~mom_micro.retrievers.MemoryIndex` + :class:`ThreeLayerRetriever`,
  its ranked chunks cut at each budget like every other system's;
- ``mom_passages``: the same index and search, the retriever fitting its own context to
  each budget (``max_words=B``: passages of relevant neighbours, trimmed to their best
  sentences; :mod:`mom_micro.retrievers.assembly`). It shares ``mom``'s index and
  ingest time; its latency includes the assembly at the largest budget.

Metrics, per question, on the retrieved texts concatenated in rank order and cut at a
word budget ``B``: ``hit@B`` = the normalised answer occurs in that context (lowercase,
white space collapsed, punctuation stripped at the answer's ends; computed over the
questions whose answer occurs verbatim in their document, ``hit_questions``);
``recall@B`` = share of the answer's word tokens present (all questions). Also
``ingest_s`` (parse + embed + store), ``nodes``, ``avg_words``, ``query_p50_ms``,
``query_p95_ms`` (one retrieve call plus the question's embedding, which is computed
once and handed to every system; ``retrieve_p50_ms`` is the retrieve call alone, so
that a latency shared by every system can be told from the embedding; the systems are built one after another, then asked
each question in turn, so load changes hit them alike).

Scope ``corpus``: one index over all documents; ``document``: the same index, each
question filtered by metadata to its own document.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mom_micro.figures import atomic_write_figure, pyplot
from mom_micro.retrievers.fusion import LayerWeights

from .data import BenchDataset
from .metrics import answer_hit, answer_recall, cut_to_budget, percentile
from .outputs import write_outputs

__all__ = [
    "DEFAULT_BUDGETS",
    "SYSTEMS",
    "budget_winners",
    "evaluate_systems",
    "markdown_table",
    "plot_hits",
    "retriever_top_k",
    "run_benchmark",
    "sweep_layer_weights",
    "write_retrieval_outputs",
]

logger = logging.getLogger(__name__)

SYSTEMS = (
    "fixed128",
    "fixed256",
    "semantic",
    "hierarchical",
    "hybrid128",
    "llamaindex_hybrid",
    "mom",
    "mom_passages",
)
DEFAULT_BUDGETS = (100, 200, 400, 800)


# -- systems ------------------------------------------------------------------------------
#: A system under test: ``(query, doc_id or None) -> retrieved texts`` (ranked, cut at
#: each budget by the bench), or a function ``budget -> texts`` for a system that fits
#: its own context to a budget; the query is a LlamaIndex ``QueryBundle`` that already
#: carries its embedding.
RetrieveFn = Callable[[Any, str | None], "list[str] | Callable[[int], list[str]]"]


def _chroma_store(name: str) -> Any:
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from mom_micro.retrievers.storage.chroma import COSINE_SPACE, ephemeral_client

    client = ephemeral_client()
    try:
        client.delete_collection(name)
    except Exception:  # not there: fine
        pass
    return ChromaVectorStore(
        chroma_collection=client.create_collection(name, metadata=dict(COSINE_SPACE))
    )


def _doc_filter(doc_id: str | None) -> Any:
    from llama_index.core.vector_stores.types import MetadataFilter, MetadataFilters

    if doc_id is None:
        return None
    return MetadataFilters(filters=[MetadataFilter(key="doc_id", value=doc_id)])


def retriever_top_k(nodes: Sequence[Any], max_words: int) -> int:
    """How many ranked chunks a system returns for budgets up to ``max_words``: enough
    chunks of the nodes' average length, plus two (between 4 and 100).

    Example:
        >>> from llama_index.core.schema import TextNode
        >>> retriever_top_k([TextNode(text="one two three four")], 400)
        100
    """
    words = [len(n.get_content().split()) for n in nodes] or [1]
    avg = max(sum(words) / len(words), 1.0)
    return max(4, min(100, math.ceil(max_words / avg) + 2))


def _build_baseline(
    name: str, documents: list[Any], embed_model: Any, max_words: int, run_id: str
) -> tuple[RetrieveFn, list[Any]]:
    from llama_index.core import StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import (
        HierarchicalNodeParser,
        SemanticSplitterNodeParser,
        SentenceSplitter,
        get_leaf_nodes,
    )
    from llama_index.core.retrievers import AutoMergingRetriever, VectorIndexRetriever

    store = _chroma_store(f"bench_{run_id}_{name}")
    storage = StorageContext.from_defaults(vector_store=store)
    if name in ("fixed128", "fixed256", "hybrid128", "llamaindex_hybrid"):
        size = 256 if name == "fixed256" else 128
        nodes = SentenceSplitter(chunk_size=size, chunk_overlap=20).get_nodes_from_documents(
            documents
        )
        searched = nodes
    elif name == "semantic":
        parser = SemanticSplitterNodeParser.from_defaults(embed_model=embed_model)
        nodes = parser.get_nodes_from_documents(documents)
        searched = nodes
    elif name == "hierarchical":
        parser = HierarchicalNodeParser.from_defaults(chunk_sizes=[1024, 256, 64])
        nodes = parser.get_nodes_from_documents(documents)
        searched = get_leaf_nodes(nodes)
        storage.docstore.add_documents(nodes)
    else:
        raise ValueError(f"unknown system {name!r}; choose from {', '.join(SYSTEMS)}")
    index = VectorStoreIndex(searched, storage_context=storage, embed_model=embed_model)
    k = retriever_top_k(searched, max_words)
    if name == "hybrid128":
        from mom_micro.retrievers.storage.stores import cosine_converter

        return _hybrid(index, searched, k, cosine_converter(store)), searched
    if name == "llamaindex_hybrid":
        return _llamaindex_hybrid(index, searched, k), searched

    def retrieve(query: Any, doc_id: str | None) -> list[str]:
        retriever = VectorIndexRetriever(index, similarity_top_k=k, filters=_doc_filter(doc_id))
        if name == "hierarchical":
            retriever = AutoMergingRetriever(retriever, storage, verbose=False)
        return [hit.node.get_content() for hit in retriever.retrieve(query)]

    return retrieve, searched


def _hybrid(
    index: Any, nodes: list[Any], k: int, to_cosine: Callable[[float], float], depth: int = 30
) -> RetrieveFn:
    """Dense top ``depth`` and BM25 top ``depth`` chunks, each scored
    ``cos + beta_lexical * lex`` (a chunk outside the dense top gets its lowest cosine,
    as in ``mom``'s fusion), best ``k`` returned."""
    from llama_index.core.retrievers import VectorIndexRetriever

    from mom_micro.retrievers.fusion import fuse_layers
    from mom_micro.retrievers.lexical import LexicalIndex

    keys = {node.node_id: (node.ref_doc_id, i) for i, node in enumerate(nodes)}
    lexical = LexicalIndex()
    lexical.add((keys[node.node_id], node.get_content()) for node in nodes)
    weights = LayerWeights(core=0, outline=0, neighbours=0)

    def retrieve(query: Any, doc_id: str | None) -> list[str]:
        dense = VectorIndexRetriever(index, similarity_top_k=depth, filters=_doc_filter(doc_id))
        cosines = {keys[hit.node.node_id]: to_cosine(hit.score) for hit in dense.retrieve(query)}
        words = lexical.search(query.query_str, None if doc_id is None else [doc_id])
        fused = fuse_layers(cosines, {}, {}, weights, [*cosines, *words.top(depth)], words.get)
        return [nodes[f.key[1]].get_content() for f in fused[:k]]

    return retrieve


def _check_installed(systems: Sequence[str]) -> None:
    """Raise a one-line RuntimeError before any indexing when a system's optional
    package is missing."""
    if "llamaindex_hybrid" not in systems:
        return
    try:
        import llama_index.retrievers.bm25  # noqa: F401
    except ImportError as error:
        raise RuntimeError(
            "the llamaindex_hybrid system needs llama-index-retrievers-bm25: "
            "pip install 'mom-micro[bench]'"
        ) from error


def _llamaindex_hybrid(index: Any, nodes: list[Any], k: int) -> RetrieveFn:
    """LlamaIndex's documented hybrid: ``BM25Retriever`` and the vector retriever, each
    for its top ``k``, fused by ``QueryFusionRetriever`` (reciprocal rank fusion,
    ``score = sum_r 1 / (60 + rank_r)``, LlamaIndex's constant), best ``k`` returned.

    ``num_queries=1`` asks no LLM for extra queries, so the fusion's LLM is never called
    (a ``MockLLM`` stands in for ``Settings.llm``, which would otherwise load OpenAI's).
    In document scope the vector retriever filters by ``doc_id`` and the BM25 side is a
    ``BM25Retriever`` over that document's chunks (built on its first question and kept):
    ``BM25Retriever(filters=...)`` masks other documents' chunks to a score of 0 but
    still returns them to fill its top ``k``, which reciprocal rank fusion would rank
    like any other hit. bm25s ships its stop-word lists and PyStemmer is compiled in, so
    nothing is downloaded.
    """
    import Stemmer
    from llama_index.core.llms import MockLLM
    from llama_index.core.retrievers import QueryFusionRetriever
    from llama_index.retrievers.bm25 import BM25Retriever

    def bm25(scope: list[Any]) -> Any:
        return BM25Retriever.from_defaults(
            nodes=scope,
            similarity_top_k=min(k, len(scope)),
            stemmer=Stemmer.Stemmer("english"),
            language="english",
        )

    def fusion(doc_id: str | None) -> Any:
        scope = nodes if doc_id is None else [n for n in nodes if n.ref_doc_id == doc_id]
        return QueryFusionRetriever(
            [index.as_retriever(similarity_top_k=k, filters=_doc_filter(doc_id)), bm25(scope)],
            llm=MockLLM(),
            mode="reciprocal_rerank",
            similarity_top_k=k,
            num_queries=1,
            use_async=True,
        )

    built = {None: fusion(None)}

    def retrieve(query: Any, doc_id: str | None) -> list[str]:
        if doc_id not in built:
            built[doc_id] = fusion(doc_id)
        return [hit.node.get_content() for hit in built[doc_id].retrieve(query)]

    return retrieve


def build_mom(
    documents: list[Any],
    embed_model: Any,
    max_words: int,
    run_id: str,
    reader: Any = None,
    log: Callable[[str], None] = logger.info,
    stages: dict[str, float] | None = None,
    **location: Any,
) -> tuple[Any, list[Any]]:
    """A ``mom`` system: a :class:`~mom_micro.retrievers.MemoryIndex` of ``documents``
    (in memory, or where ``location`` says: ``persist_dir``, ``chroma_host`` and
    ``chroma_port``, or ``milvus_uri``), its retriever sized for word budgets up to ``max_words`` (ask it
    through :func:`mom_retrieve`), and its chunk nodes. ``stages`` receives the
    ingest's seconds per stage."""
    stages = stages if stages is not None else {}
    from mom_micro.retrievers.index import MemoryIndex

    index = MemoryIndex.create(
        reader=reader, embed_model=embed_model, index_name=f"bench-{run_id}-mom", **location
    )
    report = index.add_documents(documents)
    if report.rejected:
        log(f"  mom: rejected {len(report.rejected)} document(s): {report}")
    chunks = index.chunk_nodes()
    log(
        "  mom ingest stages: "
        + ", ".join(f"{stage} {seconds:.1f}s" for stage, seconds in report.seconds.items())
    )
    stages.update(report.seconds)
    return index.as_retriever(similarity_top_k=retriever_top_k(chunks, max_words)), chunks


def mom_retrieve(base: Any, passages: bool = False) -> RetrieveFn:
    """The bench's view of a :class:`~mom_micro.retrievers.ThreeLayerRetriever`: its
    ranked chunks (cut at each budget by the bench), or with ``passages`` its own
    context for each budget (``max_words=B``, assembled: passages, best sentences;
    :mod:`mom_micro.retrievers.assembly`), from one search of the layers."""

    def retrieve(query: Any, doc_id: str | None) -> list[str] | Callable[[int], list[str]]:
        scoped = base if doc_id is None else base.with_options(doc_ids=[doc_id])
        if not passages:
            return [hit.node.get_content() for hit in scoped.retrieve(query)]
        hits = scoped.search_layers(query)

        def context(max_words: int) -> list[str]:
            budgeted = scoped.with_options(max_words=max_words, assemble=True)
            return [hit.node.get_content() for hit in budgeted.fuse(query, hits)]

        return context

    return retrieve


def evaluate_systems(
    retrievers: dict[str, RetrieveFn],
    dataset: BenchDataset,
    budgets: Sequence[int],
    scope: str,
    embed_model: Any,
) -> dict[str, dict[str, float]]:
    """hit@B, recall@B and latency of each system (``retrievers``: name -> ``(query,
    doc_id or None) -> texts``) on ``dataset``.

    Each question is embedded once with ``embed_model`` and the vector handed to every
    system (they all use that model), and each system's latency is its own retrieval
    time plus that one embedding time, so the ratios still include embedding. Every
    question is asked of every system, interleaved: question by question, the systems
    take turns (in a rotating order), so a change of machine load during the run hits
    all systems alike and the latency ratios stay comparable."""
    from llama_index.core.schema import QueryBundle

    names = list(retrievers)
    hits = {n: dict.fromkeys(budgets, 0) for n in names}
    recalls = {n: dict.fromkeys(budgets, 0.0) for n in names}
    latencies: dict[str, list[float]] = {n: [] for n in names}
    retrieving: dict[str, list[float]] = {n: [] for n in names}
    answerable = 0
    for position, question in enumerate(dataset.questions):
        verbatim = answer_hit(dataset.documents[question.doc_id], question.answers)
        answerable += verbatim
        start = time.perf_counter()
        embedding = embed_model.get_query_embedding(question.text)
        embed_ms = (time.perf_counter() - start) * 1000
        shift = position % len(names)
        for name in names[shift:] + names[:shift]:
            query = QueryBundle(question.text, embedding=list(embedding))
            start = time.perf_counter()
            texts = retrievers[name](query, question.doc_id if scope == "document" else None)
            contexts = {}
            if callable(texts):  # a user asks for one budget: the largest is timed
                contexts[budgets[-1]] = texts(budgets[-1])
            retrieving[name].append((time.perf_counter() - start) * 1000)
            latencies[name].append(retrieving[name][-1] + embed_ms)
            for budget in budgets:
                if callable(texts) and budget not in contexts:
                    contexts[budget] = texts(budget)
                context = cut_to_budget(contexts.get(budget, texts), budget)
                hits[name][budget] += verbatim and answer_hit(context, question.answers)
                recalls[name][budget] += answer_recall(context, question.answers)
    n = len(dataset.questions)
    results: dict[str, dict[str, float]] = {}
    for name in names:
        out: dict[str, float] = {}
        for budget in budgets:
            out[f"hit@{budget}"] = round(hits[name][budget] / max(answerable, 1), 4)
            out[f"recall@{budget}"] = round(recalls[name][budget] / n, 4)
        out["query_p50_ms"] = round(percentile(latencies[name], 0.5), 2)
        out["query_p95_ms"] = round(percentile(latencies[name], 0.95), 2)
        out["retrieve_p50_ms"] = round(percentile(retrieving[name], 0.5), 2)
        out["hit_questions"] = answerable
        results[name] = out
    return results


def run_benchmark(
    dataset: BenchDataset,
    systems: Sequence[str] = SYSTEMS,
    budgets: Sequence[int] = DEFAULT_BUDGETS,
    scope: str = "corpus",
    embed_model: Any = None,
    reader: Any = None,
    log: Callable[[str], None] = logger.info,
    **location: Any,
) -> dict[str, Any]:
    """Build each system over ``dataset``, ask every question, return the figures dict
    (``location``: where mom's index lives, as :func:`build_mom` takes it; default an
    in-memory Chroma)."""
    from llama_index.core import Document

    from mom_micro.retrievers.embed_model import default_embed_model, llamaindex_minilm

    if scope not in ("corpus", "document"):
        raise ValueError(f"scope must be 'corpus' or 'document', got {scope!r}")
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown:
        raise ValueError(f"unknown system(s) {unknown}; choose from {', '.join(SYSTEMS)}")
    budgets = sorted(set(int(b) for b in budgets))
    if not budgets or budgets[0] < 1:
        raise ValueError("budgets must be positive word counts")
    _check_installed(systems)
    # the baselines embed as LlamaIndex users do; mom through the memo its reader shares
    baseline_embed = embed_model or llamaindex_minilm()
    mom_embed = embed_model or default_embed_model()
    for model in {id(baseline_embed): baseline_embed, id(mom_embed): mom_embed}.values():
        model.get_query_embedding("warm up")  # model load is not part of any timing
    documents = [Document(text=text, id_=doc_id) for doc_id, text in dataset.documents.items()]
    run_id = f"{int(time.time() * 1000) % 10**9}"
    result: dict[str, Any] = {
        "dataset": dataset.name,
        "docs": len(documents),
        "questions": len(dataset.questions),
        "scope": scope,
        "budgets": budgets,
        "embedding": str(getattr(baseline_embed, "model_name", type(baseline_embed).__name__)),
        "systems": {},
        **({"mom_location": location} if location else {}),
    }
    retrievers: dict[str, RetrieveFn] = {}
    mom: tuple[Any, list[Any], float] | None = None  # mom's retriever, chunks, ingest time
    for name in systems:  # build every system first (one at a time, each timed alone)
        log(f"[{dataset.name}] {name}: indexing {len(documents)} documents ...")
        start = time.perf_counter()
        stages: dict[str, float] = {}
        if name in ("mom", "mom_passages"):  # one index, timed once, for both
            if mom is None:
                base, searched = build_mom(
                    documents, mom_embed, budgets[-1], run_id, reader, log, stages, **location
                )
                mom = (base, searched, time.perf_counter() - start)
            base, searched, ingest_s = mom
            retrieve = mom_retrieve(base, passages=name == "mom_passages")
        else:
            retrieve, searched = _build_baseline(
                name, documents, baseline_embed, budgets[-1], run_id
            )
            ingest_s = time.perf_counter() - start
        words = [len(n.get_content().split()) for n in searched]
        retrievers[name] = retrieve
        result["systems"][name] = {
            **({"ingest_stages_s": {k: round(v, 2) for k, v in stages.items()}} if stages else {}),
            "ingest_s": round(ingest_s, 2),
            "nodes": len(searched),
            "avg_words": round(sum(words) / max(len(words), 1), 1),
        }
        log(f"[{dataset.name}] {name}: {len(searched)} nodes in {ingest_s:.1f}s")
    log(
        f"[{dataset.name}] asking {len(dataset.questions)} questions of every system, "
        "interleaved ..."
    )
    for name, figures in evaluate_systems(
        retrievers, dataset, budgets, scope, baseline_embed
    ).items():
        result["systems"][name] = {**figures, **result["systems"][name]}
        log(
            f"[{dataset.name}] {name}: "
            + ", ".join(
                f"{k}={v}" for k, v in figures.items() if k.startswith(("hit@", "query_p50"))
            )
        )
    result["winners"] = budget_winners(result)
    return result


# -- outputs ------------------------------------------------------------------------------
def budget_winners(result: dict[str, Any]) -> dict[str, list[str]]:
    """The best system(s) for each ``hit@B`` and ``recall@B`` of ``result`` (several
    when tied), in the systems' order.

    Example:
        >>> budget_winners({"budgets": [100], "systems": {
        ...     "a": {"hit@100": .5, "recall@100": .7}, "b": {"hit@100": .5, "recall@100": .6}}})
        {'hit@100': ['a', 'b'], 'recall@100': ['a']}
    """
    winners: dict[str, list[str]] = {}
    for budget in result["budgets"]:
        for metric in (f"hit@{budget}", f"recall@{budget}"):
            scores = {name: figures[metric] for name, figures in result["systems"].items()}
            best = max(scores.values())
            winners[metric] = [name for name, score in scores.items() if score == best]
    return winners


def markdown_table(result: dict[str, Any]) -> str:
    """The figures as a Markdown table (one row per system), then which system wins
    ``hit@B`` and ``recall@B`` at each budget ``B``."""
    budgets = result["budgets"]
    cols = (
        [f"hit@{b}" for b in budgets]
        + [f"recall@{b}" for b in budgets]
        + ["ingest_s", "nodes", "avg_words", "query_p50_ms", "query_p95_ms", "retrieve_p50_ms"]
    )
    lines = [
        f"### {result['dataset']} — {result['docs']} docs, {result['questions']} questions "
        f"({next(iter(result['systems'].values()))['hit_questions']} with a verbatim answer), "
        f"scope {result['scope']}",
        "",
        "| system | " + " | ".join(cols) + " |",
        "|---|" + "---:|" * len(cols),
    ]
    for name, figures in result["systems"].items():
        lines.append(f"| {name} | " + " | ".join(str(figures.get(c, "")) for c in cols) + " |")
    winners = budget_winners(result)
    lines += ["", "| budget | best hit@B | best recall@B |", "|---:|---|---|"]
    for budget in budgets:
        cells = []
        for metric in (f"hit@{budget}", f"recall@{budget}"):
            names = winners[metric]
            cells.append(f"{', '.join(names)} ({result['systems'][names[0]][metric]})")
        lines.append(f"| {budget} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot_hits(result: dict[str, Any], path: Path) -> Path:
    """hit@B and recall@B against the budget B, one line per system (PNG at ``path``)."""
    plt = pyplot()
    budgets = result["budgets"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for name, figures in result["systems"].items():
        for ax, metric in zip(axes, ("hit", "recall")):
            ax.plot(budgets, [figures[f"{metric}@{b}"] for b in budgets], marker="o", label=name)
    for ax, metric in zip(axes, ("hit@B", "recall@B")):
        ax.set_xscale("log", base=2)
        ax.set_xticks(budgets, [str(b) for b in budgets])
        ax.set_xlabel("context budget B (words)")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
    axes[0].legend()
    fig.suptitle(f"{result['dataset']} ({result['docs']} docs, scope {result['scope']})")
    fig.tight_layout()
    return atomic_write_figure(path, fig)


def write_retrieval_outputs(result: dict[str, Any], out: str | Path) -> list[Path]:
    """Write ``out`` (JSON), and beside it ``.md`` (table) and ``.png`` (plot)."""
    return write_outputs(result, out, markdown_table(result), plot_hits)


# -- measuring the fusion weights -----------------------------------------------------------
def sweep_layer_weights(
    index: Any,
    dataset: BenchDataset,
    grid: Sequence[LayerWeights],
    max_words: int = 400,
    scope: str = "corpus",
    similarity_top_k: int = 12,
    layer_top_k: dict[str, int] | None = None,
    assemble: bool = False,
) -> list[dict[str, float]]:
    """hit@B and recall@B (``B = max_words``) of the ``mom`` retriever for each
    :class:`~mom_micro.retrievers.LayerWeights` in ``grid``, searching the layers once
    per question (how the defaults were measured).

    The context is the ``similarity_top_k`` ranked chunks cut at ``max_words`` words (the
    bench's ``mom``), or with ``assemble`` the retriever's own context for that budget
    (``max_words=B, assemble=True``: passages, best sentences; the bench's
    ``mom_passages``).

    Example:
        >>> grid = [LayerWeights(core=c) for c in (0.0, 0.5, 1.0)]            # doctest: +SKIP
        >>> sweep_layer_weights(index, load_dataset("covidqa.json"), grid)    # doctest: +SKIP
    """
    from llama_index.core.schema import QueryBundle

    base = index.as_retriever(similarity_top_k=similarity_top_k, layer_top_k=layer_top_k)
    searched = []
    for question in dataset.questions:
        retriever = base if scope == "corpus" else base.with_options(doc_ids=[question.doc_id])
        bundle = QueryBundle(question.text)
        searched.append((question, retriever, bundle, retriever.search_layers(bundle)))
    rows = []
    for weights in grid:
        hit = recall = 0.0
        answerable = 0
        for question, retriever, bundle, hits in searched:
            weighted = retriever.with_options(weights=weights)
            if assemble:
                weighted = weighted.with_options(max_words=max_words, assemble=True)
            texts = [r.node.get_content() for r in weighted.fuse(bundle, hits)]
            context = cut_to_budget(texts, max_words)
            verbatim = answer_hit(dataset.documents[question.doc_id], question.answers)
            answerable += verbatim
            hit += verbatim and answer_hit(context, question.answers)
            recall += answer_recall(context, question.answers)
        rows.append(
            {
                "core": weights.core,
                "outline": weights.outline,
                "lexical": weights.lexical,
                "neighbours": weights.neighbours,
                f"hit@{max_words}": round(hit / max(answerable, 1), 4),
                f"recall@{max_words}": round(recall / len(searched), 4),
            }
        )
    return rows
