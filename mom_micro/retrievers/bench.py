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
- ``mom``: :class:`~mom_micro.retrievers.MemoryIndex` + :class:`ThreeLayerRetriever`.

Metrics, per question, on the retrieved texts concatenated in rank order and cut at a
word budget ``B``: ``hit@B`` = the normalised answer occurs in that context (lowercase,
white space collapsed, punctuation stripped at the answer's ends; computed over the
questions whose answer occurs verbatim in their document, ``hit_questions``);
``recall@B`` = share of the answer's word tokens present (all questions). Also
``ingest_s`` (parse + embed + store), ``nodes``, ``avg_words``, ``query_p50_ms``,
``query_p95_ms`` (one retrieve call, query embedding included; the systems are built
one after another, then asked each question in turn, so load changes hit them alike).

Scope ``corpus``: one index over all documents; ``document``: the same index, each
question filtered by metadata to its own document.
"""

from __future__ import annotations

import json
import math
import re
import string
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mom_micro.utils import atomic_write_figure, atomic_write_text, pyplot

if TYPE_CHECKING:
    from .fusion import LayerWeights

__all__ = [
    "SYSTEMS",
    "BenchDataset",
    "Question",
    "answer_hit",
    "answer_recall",
    "load_dataset",
    "normalize_answer",
    "run_benchmark",
    "run_retrieval_bench",
    "sweep_layer_weights",
    "write_outputs",
]

SYSTEMS = ("fixed128", "fixed256", "semantic", "hierarchical", "hybrid128", "mom")
DEFAULT_BUDGETS = (100, 200, 400, 800)


# -- data ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Question:
    """A question, the id of the document it is about, and its reference answers."""

    doc_id: str
    text: str
    answers: tuple[str, ...]


@dataclass
class BenchDataset:
    """Documents ``{doc_id: text}`` (in file order) and their questions."""

    name: str
    documents: dict[str, str]
    questions: list[Question] = field(default_factory=list)


def _read_squad(data: dict[str, Any], name: str) -> BenchDataset:
    dataset = BenchDataset(name, {})
    for i, article in enumerate(data.get("data", [])):
        for j, paragraph in enumerate(article.get("paragraphs", [])):
            base = paragraph.get("document_id", article.get("title", i))
            doc_id = str(base) if len(article["paragraphs"]) == 1 else f"{base}-{j}"
            dataset.documents[doc_id] = paragraph["context"]
            for qa in paragraph.get("qas", []):
                answers = tuple(a["text"] for a in qa.get("answers", []) if a.get("text"))
                if answers and not qa.get("is_impossible", False):
                    dataset.questions.append(Question(doc_id, qa["question"], answers))
    return dataset


def _read_jsonl(path: Path, name: str) -> BenchDataset:
    dataset = BenchDataset(name, {})
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            doc_id = str(record.get("id", f"doc-{line_no}"))
            dataset.documents[doc_id] = record["input"]
            questions, outputs = record["instructions"], record["outputs"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{line_no}: not an {{input, instructions, outputs}} "
                             f"record ({exc})") from exc
        if isinstance(questions, str):
            questions, outputs = [questions], [outputs]
        for question, answer in zip(questions, outputs):
            answers = tuple(a for a in (answer if isinstance(answer, list) else [answer]) if a)
            if answers:
                dataset.questions.append(Question(doc_id, question, answers))
    return dataset


def load_dataset(path: str | Path, limit_docs: int | None = None) -> BenchDataset:
    """Read a SQuAD JSON file or a JSONL of ``{input, instructions, outputs}``.

    ``limit_docs`` keeps the first N documents and their questions.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no dataset file {path}")
    name = path.stem
    if path.suffix == ".jsonl":
        dataset = _read_jsonl(path, name)
    else:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} is not JSON ({exc}); JSONL files must end in .jsonl") from exc
        if not isinstance(data, dict) or "data" not in data:
            raise ValueError(f"{path} is not SQuAD format (no top-level 'data')")
        dataset = _read_squad(data, name)
    if limit_docs is not None:
        keep = list(dataset.documents)[:limit_docs]
        dataset.documents = {d: dataset.documents[d] for d in keep}
        dataset.questions = [q for q in dataset.questions if q.doc_id in dataset.documents]
    if not dataset.documents or not dataset.questions:
        raise ValueError(f"{path} has no documents with questions")
    return dataset


# -- metrics ------------------------------------------------------------------------------
_PUNCT = string.punctuation + "“”‘’"


def normalize_answer(text: str) -> str:
    """Lowercase, collapse white space, strip punctuation (brackets included) at the ends.

    Example:
        >>> normalize_answer("  Mother-to-child   Transmission. ")
        'mother-to-child transmission'
        >>> normalize_answer("(MTCT)")
        'mtct'
    """
    return re.sub(r"\s+", " ", text.lower()).strip().strip(_PUNCT).strip()


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def answer_hit(context: str, answers: Sequence[str]) -> bool:
    """Whether any normalised answer occurs in the (white-space collapsed) context.

    Example:
        >>> answer_hit("The virus spreads by droplets.", ["spreads by  Droplets."])
        True
    """
    haystack = re.sub(r"\s+", " ", context.lower())
    return any(normalize_answer(a) and normalize_answer(a) in haystack for a in answers)


def answer_recall(context: str, answers: Sequence[str]) -> float:
    """Best share, over the answers, of an answer's word tokens present in the context.

    Example:
        >>> answer_recall("relu and tanh are used", ["relu, selu, tanh"])
        0.6666666666666666
    """
    present = set(_words(context))
    best = 0.0
    for answer in answers:
        tokens = _words(answer)
        if tokens:
            best = max(best, sum(t in present for t in tokens) / len(tokens))
    return best


def _cut(texts: Sequence[str], budget: int) -> str:
    words: list[str] = []
    for text in texts:
        words.extend(text.split())
        if len(words) >= budget:
            break
    return " ".join(words[:budget])


# -- systems ------------------------------------------------------------------------------
RetrieveFn = Callable[[str, str | None], list[str]]


def _chroma_store(name: str) -> Any:
    import chromadb
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from .chroma import COSINE_SPACE, _settings

    client = chromadb.EphemeralClient(settings=_settings())
    try:
        client.delete_collection(name)
    except Exception:  # not there: fine
        pass
    return ChromaVectorStore(chroma_collection=client.create_collection(
        name, metadata=dict(COSINE_SPACE)))


def _doc_filter(doc_id: str | None) -> Any:
    from llama_index.core.vector_stores.types import MetadataFilter, MetadataFilters

    if doc_id is None:
        return None
    return MetadataFilters(filters=[MetadataFilter(key="doc_id", value=doc_id)])


def _top_k(nodes: Sequence[Any], budget: int) -> int:
    words = [len(n.get_content().split()) for n in nodes] or [1]
    avg = max(sum(words) / len(words), 1.0)
    return max(4, min(100, math.ceil(budget / avg) + 2))


def _build_baseline(name: str, documents: list[Any], embed_model: Any, budget: int,
                    run_id: str) -> tuple[RetrieveFn, list[Any]]:
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
    if name in ("fixed128", "fixed256", "hybrid128"):
        size = int(name[-3:])
        nodes = SentenceSplitter(chunk_size=size, chunk_overlap=20).get_nodes_from_documents(documents)
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
    k = _top_k(searched, budget)
    if name == "hybrid128":
        from .stores import cosine_converter

        return _hybrid(index, searched, k, cosine_converter(store)), searched

    def retrieve(query: str, doc_id: str | None) -> list[str]:
        retriever = VectorIndexRetriever(index, similarity_top_k=k, filters=_doc_filter(doc_id))
        if name == "hierarchical":
            retriever = AutoMergingRetriever(retriever, storage, verbose=False)
        return [hit.node.get_content() for hit in retriever.retrieve(query)]

    return retrieve, searched


def _hybrid(index: Any, nodes: list[Any], k: int, to_cosine: Callable[[float], float],
            depth: int = 30) -> RetrieveFn:
    """Dense top ``depth`` and BM25 top ``depth`` chunks, each scored
    ``cos + beta_lexical * lex`` (a chunk outside the dense top gets its lowest cosine,
    as in ``mom``'s fusion), best ``k`` returned."""
    from llama_index.core.retrievers import VectorIndexRetriever

    from .fusion import LayerWeights, fuse_layers
    from .lexical import LexicalIndex

    keys = {node.node_id: (node.ref_doc_id, i) for i, node in enumerate(nodes)}
    lexical = LexicalIndex()
    lexical.add((keys[node.node_id], node.get_content()) for node in nodes)
    weights = LayerWeights(core=0, outline=0, neighbours=0)

    def retrieve(query: str, doc_id: str | None) -> list[str]:
        dense = VectorIndexRetriever(index, similarity_top_k=depth, filters=_doc_filter(doc_id))
        cosines = {keys[hit.node.node_id]: to_cosine(hit.score) for hit in dense.retrieve(query)}
        words = lexical.search(query, None if doc_id is None else [doc_id])
        fused = fuse_layers(cosines, {}, {}, weights, [*cosines, *words.top(depth)], words.get)
        return [nodes[f.key[1]].get_content() for f in fused[:k]]

    return retrieve


def _build_mom(documents: list[Any], embed_model: Any, budget: int, run_id: str,
               reader: Any = None) -> tuple[RetrieveFn, list[Any]]:
    from .index import MemoryIndex

    index = MemoryIndex.create(reader=reader, embed_model=embed_model,
                               collection_prefix=f"bench_{run_id}_mom")
    report = index.add_documents(documents)
    if report.rejected:
        print(f"  mom: rejected {len(report.rejected)} document(s): {report}")
    chunks = [n for n in index.docstore.docs.values() if n.metadata.get("layer") == "chunk"]
    k = _top_k(chunks, budget)
    base = index.as_retriever(similarity_top_k=k)

    def retrieve(query: str, doc_id: str | None) -> list[str]:
        retriever = base if doc_id is None else base.with_options(doc_ids=[doc_id])
        return [hit.node.get_content() for hit in retriever.retrieve(query)]

    return retrieve, chunks


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _evaluate_all(retrievers: dict[str, RetrieveFn], dataset: BenchDataset,
                  budgets: Sequence[int], scope: str) -> dict[str, dict[str, float]]:
    """Ask every question of every system, interleaved: question by question, the systems
    take turns (in a rotating order), so a change of machine load during the run hits
    all systems alike and the latency ratios stay comparable."""
    names = list(retrievers)
    hits = {n: dict.fromkeys(budgets, 0) for n in names}
    recalls = {n: dict.fromkeys(budgets, 0.0) for n in names}
    latencies: dict[str, list[float]] = {n: [] for n in names}
    answerable = 0
    for position, question in enumerate(dataset.questions):
        verbatim = answer_hit(dataset.documents[question.doc_id], question.answers)
        answerable += verbatim
        shift = position % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            texts = retrievers[name](question.text,
                                     question.doc_id if scope == "document" else None)
            latencies[name].append((time.perf_counter() - start) * 1000)
            for budget in budgets:
                context = _cut(texts, budget)
                hits[name][budget] += verbatim and answer_hit(context, question.answers)
                recalls[name][budget] += answer_recall(context, question.answers)
    n = len(dataset.questions)
    results: dict[str, dict[str, float]] = {}
    for name in names:
        out: dict[str, float] = {}
        for budget in budgets:
            out[f"hit@{budget}"] = round(hits[name][budget] / max(answerable, 1), 4)
            out[f"recall@{budget}"] = round(recalls[name][budget] / n, 4)
        out["query_p50_ms"] = round(_percentile(latencies[name], 0.5), 2)
        out["query_p95_ms"] = round(_percentile(latencies[name], 0.95), 2)
        out["hit_questions"] = answerable
        results[name] = out
    return results


def _evaluate(retrieve: RetrieveFn, dataset: BenchDataset, budgets: Sequence[int],
              scope: str) -> dict[str, float]:
    """:func:`_evaluate_all` for one system."""
    return _evaluate_all({"system": retrieve}, dataset, budgets, scope)["system"]


def run_benchmark(
    dataset: BenchDataset,
    systems: Sequence[str] = SYSTEMS,
    budgets: Sequence[int] = DEFAULT_BUDGETS,
    scope: str = "corpus",
    embed_model: Any = None,
    reader: Any = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Build each system over ``dataset``, ask every question, return the figures dict."""
    from llama_index.core import Document

    from .index import default_embed_model

    if scope not in ("corpus", "document"):
        raise ValueError(f"scope must be 'corpus' or 'document', got {scope!r}")
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown:
        raise ValueError(f"unknown system(s) {unknown}; choose from {', '.join(SYSTEMS)}")
    budgets = sorted(set(int(b) for b in budgets))
    if not budgets or budgets[0] < 1:
        raise ValueError("budgets must be positive word counts")
    embed_model = embed_model or default_embed_model()
    embed_model.get_query_embedding("warm up")  # model load is not part of any timing
    documents = [Document(text=text, id_=doc_id) for doc_id, text in dataset.documents.items()]
    run_id = f"{int(time.time() * 1000) % 10**9}"
    result: dict[str, Any] = {
        "dataset": dataset.name, "docs": len(documents), "questions": len(dataset.questions),
        "scope": scope, "budgets": budgets,
        "embedding": str(getattr(embed_model, "model_name", type(embed_model).__name__)),
        "systems": {},
    }
    retrievers: dict[str, RetrieveFn] = {}
    for name in systems:  # build every system first (one at a time, each timed alone)
        log(f"[{dataset.name}] {name}: indexing {len(documents)} documents ...")
        start = time.perf_counter()
        if name == "mom":
            retrieve, searched = _build_mom(documents, embed_model, budgets[-1], run_id, reader)
        else:
            retrieve, searched = _build_baseline(name, documents, embed_model, budgets[-1], run_id)
        ingest_s = time.perf_counter() - start
        words = [len(n.get_content().split()) for n in searched]
        retrievers[name] = retrieve
        result["systems"][name] = {
            "ingest_s": round(ingest_s, 2), "nodes": len(searched),
            "avg_words": round(sum(words) / max(len(words), 1), 1)}
        log(f"[{dataset.name}] {name}: {len(searched)} nodes in {ingest_s:.1f}s")
    log(f"[{dataset.name}] asking {len(dataset.questions)} questions of every system, "
        "interleaved ...")
    for name, figures in _evaluate_all(retrievers, dataset, budgets, scope).items():
        result["systems"][name] = {**figures, **result["systems"][name]}
        log(f"[{dataset.name}] {name}: " + ", ".join(
            f"{k}={v}" for k, v in figures.items() if k.startswith(("hit@", "query_p50"))))
    return result


# -- outputs ------------------------------------------------------------------------------
def markdown_table(result: dict[str, Any]) -> str:
    """The figures as a Markdown table (one row per system)."""
    budgets = result["budgets"]
    cols = ([f"hit@{b}" for b in budgets] + [f"recall@{b}" for b in budgets]
            + ["ingest_s", "nodes", "avg_words", "query_p50_ms", "query_p95_ms"])
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
    return "\n".join(lines) + "\n"


def _plot(result: dict[str, Any], path: Path) -> None:
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
    atomic_write_figure(path, fig)


def write_outputs(result: dict[str, Any], out: str | Path) -> list[Path]:
    """Write ``out`` (JSON), and beside it ``.md`` (table) and ``.png`` (plot)."""
    out = Path(out)
    json_path = atomic_write_text(out, json.dumps(result, indent=1) + "\n")
    md_path = atomic_write_text(out.with_suffix(".md"), markdown_table(result))
    png_path = out.with_suffix(".png")
    _plot(result, png_path)
    return [json_path, md_path, png_path]


def run_retrieval_bench(
    datasets: Sequence[str | Path],
    out: str | Path,
    systems: Sequence[str] = SYSTEMS,
    budgets: Sequence[int] = DEFAULT_BUDGETS,
    scope: str = "corpus",
    limit_docs: int | None = None,
    log: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """What the CLI runs: each dataset in turn; with several datasets the outputs are
    ``OUT.<dataset>.json`` (+ ``.md``, ``.png``), with one exactly ``OUT``."""
    loaded = [load_dataset(path, limit_docs) for path in datasets]  # fail early on bad input
    results = []
    for dataset in loaded:
        result = run_benchmark(dataset, systems, budgets, scope, log=log)
        target = Path(out)
        if len(loaded) > 1:
            target = target.with_name(f"{target.stem}.{dataset.name}{target.suffix or '.json'}")
        for path in write_outputs(result, target):
            log(f"wrote {path}")
        log(markdown_table(result))
        results.append(result)
    return results


# -- measuring the fusion weights -----------------------------------------------------------
def sweep_layer_weights(
    index: Any,
    dataset: BenchDataset,
    grid: Sequence[LayerWeights],
    budget: int = 400,
    scope: str = "corpus",
    top_k: int = 12,
    layer_top_k: dict[str, int] | None = None,
) -> list[dict[str, float]]:
    """hit@budget and recall@budget of the ``mom`` retriever for each
    :class:`~mom_micro.retrievers.LayerWeights` in ``grid``, searching the layers once
    per question (how the defaults were measured)."""
    from llama_index.core.schema import QueryBundle

    base = index.as_retriever(similarity_top_k=top_k, layer_top_k=layer_top_k)
    cached = []
    for question in dataset.questions:
        retriever = base if scope == "corpus" else base.with_options(doc_ids=[question.doc_id])
        bundle = QueryBundle(question.text)
        embedding = retriever._embedding(bundle)
        hits = {layer: retriever._stores.query(layer, embedding, k, retriever.doc_ids)
                for layer, k in retriever.layer_top_k.items()}
        cached.append((question, retriever, bundle, hits))
    rows = []
    for weights in grid:
        hit = recall = 0.0
        answerable = 0
        for question, retriever, bundle, hits in cached:
            retriever.weights = weights
            texts = [r.node.get_content() for r in retriever._fuse(bundle, hits)]
            context = _cut(texts, budget)
            verbatim = answer_hit(dataset.documents[question.doc_id], question.answers)
            answerable += verbatim
            hit += verbatim and answer_hit(context, question.answers)
            recall += answer_recall(context, question.answers)
        rows.append({"core": weights.core, "outline": weights.outline,
                     "lexical": weights.lexical, "neighbours": weights.neighbours,
                     f"hit@{budget}": round(hit / max(answerable, 1), 4),
                     f"recall@{budget}": round(recall / len(cached), 4)})
    return rows
