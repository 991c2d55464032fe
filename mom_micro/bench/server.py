"""``mom-micro bench server``: the same memory index in embedded Chroma and on a Chroma
server, side by side.

Both systems read the data set with the same reader and embed it with the same model;
the embedding of every text is computed once and reused by the second index
(:class:`SharedEmbeddings`), so that any difference in the hits comes from where the index
lives, not from the model. Both are asked every question, interleaved, with the
question's embedding computed once (:func:`~mom_micro.bench.retrieval.evaluate_systems`).
Then a fresh client -- a new Python process -- opens each index, and the time of
``MemoryIndex.load`` (reading the records, checking them against the vectors, and
rebuilding the BM25 statistics from the chunks) is reported, apart from the process's
imports.

Output: the retrieval benchmark's figures for the systems ``mom_embedded`` and
``mom_server`` (hit@B, recall@B, p50/p95 latency, ingest seconds), plus ``open``: seconds
to open each index from a fresh client, and the documents and chunks it holds.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.bridge.pydantic import PrivateAttr

from .client import open_cost
from .data import BenchDataset
from .outputs import write_outputs
from .retrieval import (
    DEFAULT_BUDGETS,
    build_mom,
    evaluate_systems,
    markdown_table,
    mom_retrieve,
    plot_hits,
)

__all__ = [
    "SharedEmbeddings",
    "run_server_bench",
    "server_markdown",
    "write_server_outputs",
]

logger = logging.getLogger(__name__)


class SharedEmbeddings(BaseEmbedding):
    """Another embedding model with a memo of the texts it embedded: a text embedded
    twice (the second index of the same data set) costs one lookup. Written here because
    LlamaIndex caches transformations of whole documents, not embeddings of texts."""

    _model: BaseEmbedding = PrivateAttr()
    _memo: dict[str, list[float]] = PrivateAttr(default_factory=dict)

    def __init__(self, model: BaseEmbedding, **kwargs: Any) -> None:
        super().__init__(
            model_name=model.model_name, embed_batch_size=model.embed_batch_size, **kwargs
        )
        self._model = model

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._model.get_query_embedding(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        todo = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if todo:
            self._memo.update(zip(todo, self._model.get_text_embedding_batch(todo), strict=True))
        return [self._memo[t] for t in texts]


def run_server_bench(
    dataset: BenchDataset,
    chroma_host: str,
    chroma_port: int,
    budgets: Sequence[int] = DEFAULT_BUDGETS,
    scope: str = "corpus",
    embed_model: BaseEmbedding | None = None,
    reader: Any = None,
    log: Callable[[str], None] = logger.info,
) -> dict[str, Any]:
    """Build the index of ``dataset`` in a temporary folder and on the server, ask every
    question of both, open both from a fresh client; return the figures (module
    docstring). The server index is named ``bench-<run id>-mom`` and left in place."""
    from llama_index.core import Document

    from mom_micro.retrievers.embed_model import default_embed_model

    budgets = sorted({int(b) for b in budgets})
    embed = SharedEmbeddings(embed_model or default_embed_model())
    embed.get_query_embedding("warm up")
    documents = [Document(text=text, id_=doc_id) for doc_id, text in dataset.documents.items()]
    run_id = f"{int(time.time() * 1000) % 10**9}"
    folder = Path(tempfile.mkdtemp(prefix="mom-bench-server-")) / "index"
    locations = {
        "mom_embedded": {"persist_dir": str(folder)},
        "mom_server": {"chroma_host": chroma_host, "chroma_port": int(chroma_port)},
    }
    result: dict[str, Any] = {
        "dataset": dataset.name,
        "docs": len(documents),
        "questions": len(dataset.questions),
        "scope": scope,
        "budgets": budgets,
        "embedding": embed.model_name,
        "systems": {},
        "server": f"{chroma_host}:{chroma_port}",
        "index_name": f"bench-{run_id}-mom",
    }
    retrievers = {}
    for name, location in locations.items():
        log(f"[{dataset.name}] {name}: indexing {len(documents)} documents ...")
        start = time.perf_counter()
        base, chunks = build_mom(documents, embed, budgets[-1], run_id, reader, log, **location)
        retrievers[name] = mom_retrieve(base)
        seconds = time.perf_counter() - start
        words = [len(n.get_content().split()) for n in chunks]
        result["systems"][name] = {
            "ingest_s": round(seconds, 2),
            "nodes": len(chunks),
            "avg_words": round(sum(words) / max(len(words), 1), 1),
        }
        log(
            f"[{dataset.name}] {name}: {len(chunks)} chunks in {seconds:.1f}s (the second "
            "index reuses the first one's embeddings)"
        )
    log(f"[{dataset.name}] asking {len(dataset.questions)} questions of both, interleaved ...")
    for name, figures in evaluate_systems(retrievers, dataset, budgets, scope, embed).items():
        result["systems"][name] = {**figures, **result["systems"][name]}
    result["open"] = {}
    for name, location in locations.items():
        options = (
            {**location, "index_name": result["index_name"]}
            if "chroma_host" in location
            else dict(location)
        )
        result["open"][name] = open_cost(options)
        log(
            f"[{dataset.name}] {name}: a fresh client opens it in "
            f"{result['open'][name]['load_s']:.2f}s (imports {result['open'][name]['import_s']:.1f}s)"
        )
    return result


def server_markdown(result: dict[str, Any]) -> str:
    """The retrieval table of both systems, and the cost of opening each from a fresh
    client."""
    lines = [
        markdown_table(result),
        "",
        "| index | fresh client: load_s | imports_s | documents | chunks |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, cost in result["open"].items():
        lines.append(
            f"| {name} | {cost['load_s']:.2f} | {cost['import_s']:.2f} | "
            f"{cost['documents']} | {cost['chunks']} |"
        )
    return "\n".join(lines) + "\n"


def write_server_outputs(result: dict[str, Any], out: str | Path) -> list[Path]:
    """Write ``out`` (JSON), and beside it ``.md`` (both tables) and ``.png`` (hit@B)."""
    return write_outputs(result, out, server_markdown(result), plot_hits)
