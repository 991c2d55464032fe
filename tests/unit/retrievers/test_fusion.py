"""The log-linear fusion of the three layers' evidence."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mom_micro.retrievers import LayerWeights, fuse_layers


def test_score_is_the_log_linear_sum():
    fused = fuse_layers(
        {("d", 0): 0.5},
        {("d", 0): 0.4},
        {"d": 0.2},
        LayerWeights(core=0.5, outline=0.25, neighbours=0.0),
    )
    assert fused[0].score == pytest.approx(0.5 + 0.5 * 0.4 + 0.25 * 0.2)
    assert fused[0].imputed == []
    assert fused[0].probability == pytest.approx(1.0)


def test_core_and_outline_evidence_reorder_chunks():
    chunks = {("a", 0): 0.60, ("b", 0): 0.58}
    cores = {("a", 0): 0.10, ("b", 0): 0.70}
    outlines = {"a": 0.1, "b": 0.1}
    only_chunks = fuse_layers(
        chunks, cores, outlines, LayerWeights(core=0.0, outline=0.0, neighbours=0.0)
    )
    assert only_chunks[0].key == ("a", 0)
    with_core = fuse_layers(
        chunks, cores, outlines, LayerWeights(core=0.5, outline=0.0, neighbours=0.0)
    )
    assert with_core[0].key == ("b", 0)
    with_outline = fuse_layers(
        chunks, {}, {"a": 0.0, "b": 0.5}, LayerWeights(core=0.0, outline=0.3, neighbours=0.0)
    )
    assert with_outline[0].key == ("b", 0)


def test_missing_evidence_gets_the_layer_floor():
    fused = fuse_layers(
        {("a", 0): 0.6},
        {("a", 0): 0.5, ("b", 1): 0.9, ("c", 0): 0.3},
        {"a": 0.4, "b": 0.2},
        LayerWeights(core=1.0, outline=1.0, neighbours=0.0),
    )
    by_key = {f.key: f for f in fused}
    assert by_key[("b", 1)].chunk == 0.6 and by_key[("b", 1)].imputed == ["chunk"]
    assert by_key[("c", 0)].outline == 0.2 and "outline" in by_key[("c", 0)].imputed
    assert by_key[("a", 0)].imputed == []


@given(
    st.dictionaries(
        st.tuples(st.sampled_from("abc"), st.integers(0, 3)),
        st.floats(-1, 1),
        min_size=1,
        max_size=8,
    ),
    st.floats(0, 2),
    st.floats(0, 2),
    st.floats(0, 1),
    st.floats(0.01, 1),
)
def test_posterior_is_a_distribution_ordered_like_the_score(chunks, wc, wo, wn, temperature):
    fused = fuse_layers(
        chunks, {}, {}, LayerWeights(core=wc, outline=wo, neighbours=wn, temperature=temperature)
    )
    assert math.isclose(sum(f.probability for f in fused), 1.0, rel_tol=1e-9)
    scores = [f.score for f in fused]
    assert scores == sorted(scores, reverse=True)
    probs = [f.probability for f in fused]
    assert probs == sorted(probs, reverse=True)


def test_passage_evidence_prefers_a_chunk_whose_neighbours_match():
    # ("a", 1) and ("b", 0) match alike on their own; ("a", 1) sits between two chunks
    # that also match, ("b", 0) is isolated.
    chunks = {("a", 0): 0.5, ("a", 1): 0.6, ("a", 2): 0.5, ("b", 0): 0.6, ("c", 0): 0.1}
    off = fuse_layers(chunks, {}, {}, LayerWeights(core=0, outline=0, neighbours=0))
    assert [f.key for f in off[:2]] == [("a", 1), ("b", 0)]  # tie, broken by key
    on = fuse_layers(chunks, {}, {}, LayerWeights(core=0, outline=0, neighbours=0.5))
    by_key = {f.key: f for f in on}
    assert by_key[("a", 1)].neighbours == pytest.approx(0.5)
    # no neighbours among the candidates: both count as the lowest score, 0.1
    assert by_key[("b", 0)].neighbours == pytest.approx(0.1)
    assert by_key[("a", 0)].neighbours == pytest.approx((0.1 + 0.6) / 2)
    assert by_key[("a", 1)].score == pytest.approx(0.6 + 0.5 * 0.5)
    assert on[0].key == ("a", 1) and on[1].key != ("b", 0)


def test_weights_are_validated():
    with pytest.raises(ValueError):
        LayerWeights(core=-1)
    with pytest.raises(ValueError):
        LayerWeights(neighbours=-0.1)
    with pytest.raises(ValueError):
        LayerWeights(temperature=0)
