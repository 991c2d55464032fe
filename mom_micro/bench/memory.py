"""``mom-micro bench memory``: the offline reader against LlamaIndex's ``SentenceSplitter``.

For the first N documents of a data set it reports, per method: chunks, mean chunk
words, coverage of the source, reading time per 1,000 words, and — with the evaluator
LM — mean chunk clarity (MoM's ``S_clarity``: the evaluator's probability that adjacent
chunks are separate subjects), plus the memory's extraction completeness and the
scorer's time per memory. For the extractive reader it also reports how well the
memory follows the document's outline (:func:`outline_fidelity`): the share of the
document's headings (:func:`~mom_micro.structure.find_headings`) that appear in the
title of the unit holding them, and the share of titles that repeat a content word. Both methods are timed in the same process on the same texts.

The evaluator costs about a forward pass of 250 tokens per boundary on CPU, so clarity
and completeness are estimated on ``pairs_per_doc`` boundaries (units) drawn at random
per document and method (seeded); the scorer's time per memory is measured on whole
memories (the first ``timed_memories``).

With ``growth_kb`` it also times reading against input size (:func:`reading_growth`): the
documents repeated to each size, once as they are (many lines) and once as one line (a
PDF extraction or a scraped page), so that a reading time growing faster than the text
shows.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from mom_micro.figures import atomic_write_figure, pyplot
from mom_micro.memory import DocumentMemory, ExtractiveExtractor, MemoryScorer
from mom_micro.structure import find_headings
from mom_micro.text import STOP_WORDS, split_sentences

from .data import load_dataset
from .outputs import markdown_rows, write_outputs

__all__ = [
    "GROWTH_KB",
    "GROWTH_LAYOUTS",
    "markdown_table",
    "outline_fidelity",
    "growth_table",
    "reading_growth",
    "run_memory_bench",
    "sampled_clarity",
    "sampled_completeness",
    "write_memory_outputs",
]


def _splitter_chunks(texts: list[str], chunk_size: int) -> tuple[list[list[str]], float]:
    from llama_index.core import Document
    from llama_index.core.node_parser import SentenceSplitter

    splitter = SentenceSplitter(chunk_size=chunk_size, chunk_overlap=20)
    started = time.perf_counter()
    chunks = [
        [n.get_content() for n in splitter.get_nodes_from_documents([Document(text=t)])]
        for t in texts
    ]
    return chunks, time.perf_counter() - started


def _coverage(text: str, chunks: list[str]) -> float:
    """Share of the text's non-space characters that lie in some chunk (chunks located
    in order; an overlap counts once)."""
    covered = np.zeros(len(text), dtype=bool)
    cursor = 0
    for chunk in chunks:
        pos = text.find(chunk, max(0, cursor - len(chunk)))
        if pos < 0:
            pos = text.find(chunk)
        if pos >= 0:
            covered[pos : pos + len(chunk)] = True
            cursor = pos + len(chunk)
    visible = np.array([not ch.isspace() for ch in text])
    return float((covered & visible).sum() / max(visible.sum(), 1))


def _sample(items: list, k: int, rng: random.Random) -> list:
    return rng.sample(items, min(k, len(items)))


def sampled_clarity(
    scorer: MemoryScorer, chunk_lists: list[list[str]], per_doc: int, rng: random.Random
) -> float:
    """Mean ``P_eval(boundary)`` over up to ``per_doc`` adjacent chunk pairs drawn from
    each document's chunks (``nan`` when no document has two chunks)."""
    pairs = [p for cs in chunk_lists for p in _sample(list(zip(cs, cs[1:])), per_doc, rng)]
    return float(np.mean(scorer.boundary_probabilities(pairs))) if pairs else float("nan")


def sampled_completeness(
    scorer: MemoryScorer, memories: list[DocumentMemory], per_doc: int, rng: random.Random
) -> float:
    """Mean completeness term ``1 / (PPL(a|c) log|c|)`` over up to ``per_doc`` units drawn
    from each memory."""
    units = [u for m in memories for u in _sample(list(zip(m.cores, m.chunks())), per_doc, rng)]
    return float(np.mean(scorer.completeness_terms(units))) if units else float("nan")


#: Input sizes (kilobytes of text) of the reading-growth measurement.
GROWTH_KB = (25, 50, 100)
#: The layouts the growth is measured on: the documents' own lines, and all on one line.
GROWTH_LAYOUTS = ("many_lines", "one_line")


def outline_fidelity(memories: Sequence[DocumentMemory]) -> dict[str, float | int]:
    """How well the memories' titles follow their documents' own outlines.

    ``headings``: the headings found in the sources; ``headings_in_titles``: the share of
    them whose label is in the title of the unit that holds the heading;
    ``titles_repeating_a_content_word``: the share of titles with a word that is not a
    stop word twice (a keyword bag often has one); ``mean_title_words``.

    Example:
        >>> from mom_micro.memory import MemoryUnit
        >>> text = "Water\\nIt flows to the sea.\\nFire\\nIt burns dry wood."
        >>> memory = DocumentMemory("d", [MemoryUnit("Water", "", 0, 26),
        ...                               MemoryUnit("wood, wood", "", 27, len(text))], text)
        >>> outline_fidelity([memory])["headings_in_titles"], outline_fidelity([memory])["titles_repeating_a_content_word"]
        (0.5, 0.5)
    """
    found = held = repeating = words = titles = 0
    for memory in memories:
        for heading in find_headings(memory.source):
            found += 1
            unit = next((u for u in memory.units if u.start <= heading.start < u.end), None)
            held += unit is not None and heading.label in unit.title
        for unit in memory.units:
            tokens = [t for t in re.findall(r"\w+", unit.title.lower()) if t not in STOP_WORDS]
            titles += 1
            words += len(unit.title.split())
            repeating += len(set(tokens)) < len(tokens)
    return {
        "headings": found,
        "headings_in_titles": held / found if found else float("nan"),
        "titles_repeating_a_content_word": repeating / titles if titles else float("nan"),
        "mean_title_words": words / titles if titles else float("nan"),
    }


def _sized_text(texts: Sequence[str], chars: int, layout: str) -> str:
    """``texts`` joined (as paragraphs, or on one line) and repeated to ``chars``
    characters, cut at the last white space before the limit."""
    if layout == "one_line":
        source = " ".join(" ".join(t.split()) for t in texts)
    else:
        source = "\n\n".join(t.strip() for t in texts)
    text = (source + (" " if layout == "one_line" else "\n\n")) * (chars // len(source) + 1)
    cut = text.rfind(" ", 0, chars)
    return text[: cut if cut > 0 else chars].rstrip()


def reading_growth(
    texts: Sequence[str],
    reader: ExtractiveExtractor,
    sizes_kb: Sequence[int] = GROWTH_KB,
) -> dict[str, Any]:
    """Time sentence splitting and reading of ``texts`` repeated to each size, per layout.

    For each layout of :data:`GROWTH_LAYOUTS` and size, a row ``{kb, chars, sentences,
    chunks, split_s, read_s, read_s_per_kb}``; ``growth[layout]`` is the largest size's
    ``read_s_per_kb`` over the smallest's: about 1 when reading is linear in the input,
    the ratio of the sizes when it is quadratic.

    Example:
        >>> flat = lambda texts: np.full((len(texts), 4), 0.5)  # a stand-in embedder
        >>> growth = reading_growth(["Cats purr. Dogs bark."], ExtractiveExtractor(embedder=flat), (1, 2))
        >>> [row["kb"] for row in growth["layouts"]["one_line"]], sorted(growth["growth"])
        ([1, 2], ['many_lines', 'one_line'])
    """
    if not texts or not any(t.strip() for t in texts):
        raise ValueError("reading_growth needs some text")
    if not sizes_kb or min(sizes_kb) < 1:
        raise ValueError(f"sizes_kb must be whole kilobytes >= 1, got {list(sizes_kb)}")
    layouts: dict[str, list[dict[str, Any]]] = {}
    for layout in GROWTH_LAYOUTS:
        rows = layouts[layout] = []
        for kb in sorted(sizes_kb):
            text = _sized_text(texts, kb * 1000, layout)
            started = time.perf_counter()
            sentences = split_sentences(text)
            split_s = time.perf_counter() - started
            started = time.perf_counter()
            memory = reader.extract(text, doc_id=f"{layout}-{kb}kb")
            read_s = time.perf_counter() - started
            rows.append(
                {
                    "kb": kb,
                    "chars": len(text),
                    "sentences": len(sentences),
                    "chunks": len(memory.units),
                    "split_s": split_s,
                    "read_s": read_s,
                    "read_s_per_kb": read_s / (len(text) / 1000),
                }
            )
    growth = {
        layout: rows[-1]["read_s_per_kb"] / max(rows[0]["read_s_per_kb"], 1e-12)
        for layout, rows in layouts.items()
    }
    return {"sizes_kb": sorted(sizes_kb), "layouts": layouts, "growth": growth}


def run_memory_bench(
    dataset: str | Path,
    limit_docs: int = 10,
    target_words: int = 100,
    n_paths: int = 1,
    splitter_chunk_size: int = 128,
    score: bool = True,
    pairs_per_doc: int = 12,
    timed_memories: int = 2,
    seed: int = 0,
    show_progress: bool = True,
    growth_kb: Sequence[int] = GROWTH_KB,
) -> dict[str, Any]:
    """Read the first ``limit_docs`` documents both ways and return the figures (a dict);
    with ``growth_kb`` (empty: none), also :func:`reading_growth` at those sizes."""
    data = load_dataset(dataset, limit_docs=limit_docs)
    ids, texts = list(data.documents), list(data.documents.values())
    words = sum(len(t.split()) for t in texts)
    reader = ExtractiveExtractor(target_words=target_words, n_paths=n_paths)
    reader.extract("Warm-up sentence one. Warm-up sentence two.")  # load MiniLM outside the timing
    started = time.perf_counter()
    memories: list[DocumentMemory] = [
        reader.extract(t, doc_id=i)
        for i, t in tqdm(list(zip(ids, texts)), desc="extractive reader", disable=not show_progress)
    ]
    extractive_s = time.perf_counter() - started
    split, split_s = _splitter_chunks(texts, splitter_chunk_size)
    methods: dict[str, dict[str, Any]] = {
        "extractive": {
            "chunks": sum(len(m.units) for m in memories),
            "mean_chunk_words": float(
                np.mean([len(c.split()) for m in memories for c in m.chunks()])
            ),
            "coverage": float(np.mean([m.coverage for m in memories])),
            "s_per_1000_words": extractive_s / words * 1000,
            **outline_fidelity(memories),
        },
        f"sentence_splitter_{splitter_chunk_size}": {
            "chunks": sum(len(c) for c in split),
            "mean_chunk_words": float(np.mean([len(c.split()) for cs in split for c in cs])),
            "coverage": float(np.mean([_coverage(t, cs) for t, cs in zip(texts, split)])),
            "s_per_1000_words": split_s / words * 1000,
        },
    }
    if score:
        scorer = MemoryScorer()
        scorer.clarity(memories[0])  # load the evaluator outside the timing
        started = time.perf_counter()
        for memory in memories[:timed_memories]:
            scorer.score(memory)
        methods["extractive"]["scorer_s_per_memory"] = (
            time.perf_counter() - started
        ) / timed_memories
        rng = random.Random(seed)
        methods["extractive"]["clarity"] = sampled_clarity(
            scorer, [m.chunks() for m in memories], pairs_per_doc, rng
        )
        methods[f"sentence_splitter_{splitter_chunk_size}"]["clarity"] = sampled_clarity(
            scorer, split, pairs_per_doc, rng
        )
        methods["extractive"]["completeness"] = sampled_completeness(
            scorer, memories, pairs_per_doc, rng
        )
    result = {
        "dataset": Path(dataset).name,
        "docs": len(texts),
        "words": words,
        "target_words": target_words,
        "n_paths": n_paths,
        "pairs_per_doc": pairs_per_doc,
        "methods": methods,
    }
    if growth_kb:
        result["growth"] = reading_growth(texts, reader, growth_kb)
    return result


def markdown_table(result: dict[str, Any]) -> str:
    """The figures as a Markdown table, one row per method."""
    cols = [
        "chunks",
        "mean_chunk_words",
        "coverage",
        "s_per_1000_words",
        "clarity",
        "completeness",
        "scorer_s_per_memory",
        "headings",
        "headings_in_titles",
        "titles_repeating_a_content_word",
    ]
    lines = [
        f"### {result['dataset']} — {result['docs']} docs, {result['words']} words",
        "",
        "| method | " + " | ".join(cols) + " |",
        "|---|" + "---:|" * len(cols),
    ]
    for name, figures in result["methods"].items():
        cells = [
            f"{figures[c]:.3f}" if isinstance(figures.get(c), float) else str(figures.get(c, "–"))
            for c in cols
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if "growth" in result:
        lines += ["", *growth_table(result["growth"])]
    return "\n".join(lines) + "\n"


def growth_table(growth: dict[str, Any]) -> list[str]:
    """The lines of a Markdown table of :func:`reading_growth`: one row per layout and size."""
    rows = {
        f"{layout}, {row['kb']} KB": row
        for layout, rows in growth["layouts"].items()
        for row in rows
    }
    lines = markdown_rows(
        "layout, size",
        ["chars", "sentences", "chunks", "split_s", "read_s", "read_s_per_kb"],
        rows,
        lambda v: f"{v:.3f}" if isinstance(v, float) else str(v),
    )
    ratio = ", ".join(f"{layout} {value:.2f}" for layout, value in growth["growth"].items())
    return [
        *lines,
        "",
        f"s/KB at {growth['sizes_kb'][-1]} KB over s/KB at {growth['sizes_kb'][0]} KB "
        f"(1 is linear): {ratio}",
    ]


def _plot(result: dict[str, Any], path: Path) -> Path:
    """Bars of chunk length, coverage and clarity per method."""
    plt = pyplot()
    metrics = [
        m
        for m in ("mean_chunk_words", "coverage", "clarity")
        if all(m in f for f in result["methods"].values())
    ]
    fig, axes = plt.subplots(1, len(metrics), figsize=(4 * len(metrics), 3.5))
    for ax, metric in zip(np.atleast_1d(axes), metrics):
        names = list(result["methods"])
        ax.bar(
            names, [result["methods"][n][metric] for n in names], color=["tab:green", "tab:gray"]
        )
        ax.set_title(metric)
        ax.tick_params(axis="x", labelrotation=15)
    fig.suptitle(f"{result['dataset']}: {result['docs']} documents")
    fig.tight_layout()
    return atomic_write_figure(path, fig)


def write_memory_outputs(result: dict[str, Any], out: str | Path) -> list[Path]:
    """``out`` (JSON), and beside it ``.md`` (table) and ``.png`` (bars of the figures)."""
    return write_outputs(result, out, markdown_table(result), _plot)
