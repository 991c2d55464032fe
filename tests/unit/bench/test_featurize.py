"""The featurizer-throughput benchmark, on a stand-in sentence encoder."""

from __future__ import annotations

from mom_micro.bench.featurize import render_featurize_markdown, run_featurize_bench
from tests.support.rewards import HashEncoder


class FakeSentenceEncoder(HashEncoder):
    """A HashEncoder that also plays the SentenceTransformer it wraps (``.model``)."""

    @property
    def model(self):
        return self

    def encode(self, texts, batch_size=32, show_progress_bar=False):
        return super().encode(texts, batch_size)


def test_both_paths_embed_the_same_distinct_texts_and_report_a_ratio():
    encoder = FakeSentenceEncoder()
    texts = [f"text number {i % 40}" for i in range(100)]  # 40 distinct
    result = run_featurize_bench(texts, encoder, batch_size=8, repeats=2)
    assert result["texts"] == 40
    assert set(result["texts_per_second"]) == {"plain", "featurizer"}
    assert all(len(v) == 2 for v in result["seconds"].values())
    assert (
        result["ratio"]
        == result["texts_per_second"]["featurizer"] / result["texts_per_second"]["plain"]
    )
    # warm-up (8) + 2 rounds x 2 paths x 40 texts: the featurizer's cache starts empty
    assert encoder.calls == 8 + 4 * 40
    assert "ratio featurizer / plain" in render_featurize_markdown(result)
