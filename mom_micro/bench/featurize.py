"""``mom-micro bench featurize``: does the featurizer run at the backbone's own speed?

The same distinct texts are embedded twice in one process: by plain
``SentenceTransformer.encode`` (what a user would write by hand) and by the feature
cache's :class:`~mom_micro.rewards.CachedEncoder` into an empty cache (hashing, sorting
by length, encoding in chunks, writing each chunk as a shard). Both use the same loaded
model, batch size and threads; the order alternates over ``repeats`` rounds, and the
best round of each counts, so that a busy machine penalises neither more. The ratio
``featurizer / plain`` is the figure (texts per second).

Example:
    >>> result = run_featurize_bench(texts[:500])          # doctest: +SKIP
    >>> result["ratio"]                                    # doctest: +SKIP
    0.98
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from mom_micro.rewards.encoders import SentenceTransformerEncoder
from mom_micro.rewards.feature_cache import CachedEncoder, FeatureCache

__all__ = ["render_featurize_markdown", "run_featurize_bench", "write_featurize_outputs"]


def run_featurize_bench(
    texts: Sequence[str],
    encoder: SentenceTransformerEncoder | None = None,
    batch_size: int = 32,
    repeats: int = 2,
) -> dict[str, Any]:
    """Texts per second of plain ``encode`` and of the featurizer on ``texts`` (distinct
    texts; duplicates would flatter the cache), best of ``repeats`` alternating rounds."""
    texts = list(dict.fromkeys(texts))
    if not texts:
        raise ValueError("the featurizer benchmark needs at least one text")
    encoder = encoder or SentenceTransformerEncoder()
    model = encoder.model
    model.encode(texts[: min(len(texts), batch_size)], batch_size=batch_size)  # warm-up
    seconds: dict[str, list[float]] = {"plain": [], "featurizer": []}

    def plain() -> None:
        model.encode(texts, batch_size=batch_size, show_progress_bar=False)

    def featurizer() -> None:
        with tempfile.TemporaryDirectory() as folder:
            cache = FeatureCache(folder, encoder.name)
            CachedEncoder(encoder, cache, progress=False).encode(texts, batch_size=batch_size)

    for round_ in range(repeats):
        order = (("plain", plain), ("featurizer", featurizer))
        for name, run in order if round_ % 2 == 0 else order[::-1]:
            start = time.perf_counter()
            run()
            seconds[name].append(time.perf_counter() - start)
    rates = {name: len(texts) / min(values) for name, values in seconds.items()}
    return {
        "texts": len(texts),
        "mean_chars": sum(map(len, texts)) / len(texts),
        "backbone": encoder.name,
        "batch_size": batch_size,
        "threads": torch.get_num_threads(),
        "repeats": repeats,
        "seconds": seconds,
        "texts_per_second": rates,
        "ratio": rates["featurizer"] / rates["plain"],
    }


def render_featurize_markdown(result: dict[str, Any]) -> str:
    """One table: texts per second of both, and the ratio."""
    rates = result["texts_per_second"]
    return (
        "| embedding path | texts/s |\n|---|---:|\n"
        f"| plain `SentenceTransformer.encode` | {rates['plain']:.1f} |\n"
        f"| featurizer (`CachedEncoder`, empty cache) | {rates['featurizer']:.1f} |\n"
        f"| ratio featurizer / plain | **{result['ratio']:.2f}** |\n\n"
        f"{result['texts']} distinct texts (mean {result['mean_chars']:.0f} characters), "
        f"`{result['backbone']}`, batch {result['batch_size']}, {result['threads']} torch "
        f"threads, best of {result['repeats']} alternating rounds.\n"
    )


def write_featurize_outputs(result: dict[str, Any], out: str | Path) -> list[Path]:
    """Write ``out`` (JSON) and ``out.md`` beside it."""
    from .outputs import write_outputs

    return write_outputs(result, out, render_featurize_markdown(result))
