"""``mom-micro bench concurrency``: ingest through an LLM reader that keeps one call in
flight against one that keeps several.

With a guide model behind an API, ingestion waits on the network: each call costs a
round trip, and :class:`~mom_micro.memory.LLMExtractor` keeps up to ``max_concurrency``
calls in flight (documents, sampled paths and windows alike). This benchmark measures
that overlap and nothing else: the guide is :class:`LatencyGuide`, an async callable that
answers after ``latency`` seconds with a well-formed memory of the window it was sent
(one scenario per paragraph, anchored by the paragraph's first and last five words), so
the time is the pipeline's -- reading, scoring the paths, embedding, storing -- plus the
waiting it could not overlap. Every level ingests the same documents into a fresh
in-memory index with the same embedding model (warmed up first, its memo of embedded
texts emptied before each level, so that no level reuses another's vectors).

Output: per level, ingest seconds, the index's stage seconds, the guide's calls and the
most calls it saw in flight at once, and the speed-up against the first level.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .data import BenchDataset
from .outputs import markdown_rows, write_outputs

__all__ = [
    "LatencyGuide",
    "concurrency_markdown",
    "paragraph_memory",
    "prompt_document",
    "run_concurrency_bench",
    "write_concurrency_outputs",
]

logger = logging.getLogger(__name__)


def paragraph_memory(window: str) -> str:
    """A tagged memory of ``window``: one chunk per blank-line paragraph, anchored by its
    first and last five words, its first sentence as the core, its first four words as
    the outline item.

    Example:
        >>> print(paragraph_memory("One two three four five six.\\n\\nSeven eight. Nine."))
        <outline>
        One two three four
        Seven eight. Nine.
        </outline>
        <scenario><chunk>One two three four five[MASK]two three four five six.</chunk>
        One two three four five six.</scenario>
        <scenario><chunk>Seven eight. Nine.[MASK]Seven eight. Nine.</chunk>
        Seven eight</scenario>
    """
    parts, items = [], []
    for paragraph in re.split(r"\n\s*\n", window.strip()):
        words = paragraph.split()
        if not words:
            continue
        items.append(" ".join(words[:4]))
        head, tail = " ".join(words[:5]), " ".join(words[-5:])
        core = paragraph.split(". ")[0].strip()
        parts.append(f"<scenario><chunk>{head}[MASK]{tail}</chunk>\n{core}</scenario>")
    return "<outline>\n" + "\n".join(items) + "\n</outline>\n" + "\n".join(parts)


def prompt_document(prompt: str) -> str:
    """The (unescaped) document inside a MoM extraction prompt.

    Example:
        >>> prompt_document("Read this.\\n<document>\\nA &amp; B.\\n</document>")
        'A & B.'
    """
    return html.unescape(prompt.split("<document>\n", 1)[1].rsplit("\n</document>", 1)[0])


class LatencyGuide:
    """An async guide model that answers after ``latency`` seconds (a network round trip)
    with :func:`paragraph_memory` of the document in the extraction prompt. It counts its
    calls and the most that were in flight at once.

    Example:
        >>> guide = LatencyGuide(latency=0.0)
        >>> prompt = "<document>\\nA b c d e f.\\n</document>"
        >>> asyncio.run(guide(prompt, 0.0)).startswith("<outline>"), guide.calls
        (True, 1)
    """

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.calls = 0
        self.in_flight = 0
        self.peak = 0

    async def __call__(self, prompt: str, temperature: float) -> str:
        """Wait ``latency`` seconds, then answer the memory of the prompt's document."""
        self.calls += 1
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.latency)
            return paragraph_memory(prompt_document(prompt))
        finally:
            self.in_flight -= 1


def run_concurrency_bench(
    dataset: BenchDataset,
    levels: Sequence[int] = (1, 8),
    latency: float = 2.0,
    n_paths: int = 3,
    log: Callable[[str], None] = logger.info,
) -> dict[str, Any]:
    """Ingest ``dataset``'s documents once per concurrency level (module docstring)."""
    from llama_index.core import Document

    from mom_micro.memory import EmbeddingMemoryScorer, LLMExtractor, minilm_embedder
    from mom_micro.retrievers import MemoryIndex
    from mom_micro.retrievers.embed_model import default_embed_model

    if not levels or min(levels) < 1:
        raise ValueError(f"concurrency levels must be >= 1, got {list(levels)}")
    if latency < 0:
        raise ValueError(f"latency must be >= 0 seconds, got {latency}")
    embed_model = default_embed_model()
    embed_model.get_query_embedding("warm up")
    documents = [Document(text=text, id_=doc_id) for doc_id, text in dataset.documents.items()]
    words = sum(len(d.text.split()) for d in documents)
    result: dict[str, Any] = {
        "benchmark": "concurrency",
        "dataset": dataset.name,
        "documents": len(documents),
        "words": words,
        "latency_s": latency,
        "n_paths": n_paths,
        "levels": {},
    }
    for level in levels:
        minilm_embedder().clear()  # each level embeds its texts itself
        guide = LatencyGuide(latency)
        reader = LLMExtractor(
            guide, n_paths=n_paths, max_concurrency=level, scorer=EmbeddingMemoryScorer()
        )
        index = MemoryIndex.create(reader=reader, embed_model=embed_model)
        started = time.perf_counter()
        report = asyncio.run(index.aadd_documents(documents))
        seconds = time.perf_counter() - started
        result["levels"][str(level)] = {
            "ingest_s": round(seconds, 2),
            "stages_s": {k: round(v, 2) for k, v in report.seconds.items()},
            "added": len(report.added),
            "calls": guide.calls,
            "peak_in_flight": guide.peak,
        }
        log(f"max_concurrency={level}: {seconds:.1f}s, {guide.calls} calls, peak {guide.peak}")
    first = result["levels"][str(levels[0])]["ingest_s"]
    for figures in result["levels"].values():
        figures["speedup"] = round(first / max(figures["ingest_s"], 1e-9), 2)
    return result


def concurrency_markdown(result: dict[str, Any]) -> str:
    """One row per concurrency level."""
    header = (
        f"{result['documents']} documents ({result['words']} words), guide latency "
        f"{result['latency_s']} s, {result['n_paths']} paths\n\n"
    )
    rows = {
        level: {
            "ingest_s": f["ingest_s"],
            "read_s": f["stages_s"].get("read"),
            "calls": f["calls"],
            "peak in flight": f["peak_in_flight"],
            "speed-up": f"{f['speedup']:.2f}x",
        }
        for level, f in result["levels"].items()
    }
    columns = ["ingest_s", "read_s", "calls", "peak in flight", "speed-up"]
    return header + "\n".join(markdown_rows("max_concurrency", columns, rows)) + "\n"


def write_concurrency_outputs(result: dict[str, Any], out: str | Path) -> list[Path]:
    """Write ``out`` (JSON) and its ``.md`` (the table) beside it."""
    return write_outputs(result, out, concurrency_markdown(result))
