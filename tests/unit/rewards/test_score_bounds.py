"""Scores of a model trained on few pairs: finite, bounded, an empty response last, and a
warning that the training set is small (issue 33: 12 pairs scored about 1e4)."""

from __future__ import annotations

import math

import pytest

from mom_micro.rewards import (
    MIN_TRAINING_PAIRS,
    SCORE_BOUND,
    CachedEncoder,
    PreferenceFeaturizer,
    train_reward_model,
)
from tests.support.rewards import HashEncoder, few_pairs

PROMPT = "How do I boil an egg?"
# far from every training response: a link, code, a numbered list, emoji, a long repeat
ODD = [
    "Boil it for nine minutes.",
    "See https://example.org/eggs and run `boil(egg)`:\n1. one\n2. two\n3. three",
    "🙂🙂🙂",
    "egg " * 400,
    "x",
]


@pytest.fixture(scope="module")
def few_pair_model():
    # HashEncoder leaves most dimensions zero on a small vocabulary: their training
    # standard deviation is 0, what made a new response's standardised value explode
    featurizer = PreferenceFeaturizer(CachedEncoder(HashEncoder(), progress=False), style=True)
    with pytest.warns(UserWarning) as caught:
        model, _ = train_reward_model(few_pairs(), featurizer)
    return model, [str(w.message) for w in caught]


def test_training_on_few_pairs_warns_with_the_count(few_pair_model):
    _, messages = few_pair_model
    assert any("on 12 preference pairs" in m and str(MIN_TRAINING_PAIRS) in m for m in messages)


def test_scores_are_finite_and_bounded_and_not_only_by_the_squashing(few_pair_model):
    model, _ = few_pair_model
    scores = model.score(PROMPT, ODD)
    assert all(math.isfinite(s) and abs(s) < SCORE_BOUND for s in scores)
    # the standardised features are clipped, so the reward itself stays well inside
    # the bound: the bound is a guarantee, not what hides an explosion
    weights = model.weights(PROMPT)
    raw = (model.basis(PROMPT, ODD) @ weights).tolist()
    assert max(abs(r) for r in raw) < SCORE_BOUND / 2


def test_an_empty_response_scores_the_lowest_there_is(few_pair_model):
    model, _ = few_pair_model
    scores = model.score(PROMPT, ["", *ODD, " \n\t"])
    assert scores[0] == scores[-1] == -SCORE_BOUND
    assert all(s > -SCORE_BOUND for s in scores[1:-1])


def test_the_ranker_puts_empty_candidates_last_even_when_most_relevant(few_pair_model):
    from mom_micro.plugins.ranking import rank_texts

    model, _ = few_pair_model
    texts = ["", *ODD, "   "]
    by_reward = rank_texts(model, PROMPT, texts)
    assert [c.index for c in by_reward.candidates[-2:]] == [0, len(texts) - 1]
    relevance = [1.0] + [0.5] * len(ODD) + [0.9]  # the empty ones retrieved best
    by_both = rank_texts(model, PROMPT, texts, relevance=relevance)
    assert by_both.best.text.strip()
    assert {c.index for c in by_both.candidates[-2:]} == {0, len(texts) - 1}
    assert all(c.score == 0.0 for c in by_both.candidates[-2:])
