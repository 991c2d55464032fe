"""A small real MiCRo model for the adapter and chain tests, and two users it tells apart.

Trained in about two seconds on the bundled MiniLM featurizer (feature cache in a temp
folder): 32 synthetic pairs over 16 topics in two plainly labelled styles, "concise"
(a one-line fact wins) and "detailed" (a long explanation wins), with the context-aware
stage-1 router so that the K=2 heads split by style. Users get their preferences the way
real users would: by recorded choices (online Hedge routing), not by a context label.
The conftests of tests/plugins and tests/chains register the fixtures.
"""

from __future__ import annotations

import copy

import pytest

from mom_micro.rewards import (
    CachedEncoder,
    FeatureCache,
    MixtureRewardModel,
    PreferenceFeaturizer,
    PreferencePair,
    SentenceTransformerEncoder,
    Stage1Config,
    UserProfileStore,
)

TOPICS = ("cats rivers volcanoes bread chess trains tea comets bees glaciers maps violins "
          "deserts coral bridges clocks").split()


def concise(topic: str) -> str:
    return f"{topic.capitalize()}: one quick fact."


def detailed(topic: str) -> str:
    return (f"Here is a thorough, detailed explanation of {topic}, covering their history, "
            "how they work, and several examples with background.")


def question(topic: str) -> str:
    return f"Tell me about {topic}."


@pytest.fixture(scope="session")
def trained_micro(tmp_path_factory) -> MixtureRewardModel:
    encoder = SentenceTransformerEncoder()
    cache = FeatureCache(tmp_path_factory.mktemp("features"), encoder.name)
    featurizer = PreferenceFeaturizer(CachedEncoder(encoder, cache, progress=False), "compose")
    pairs = []
    for topic in TOPICS:
        pairs.append(PreferencePair(question(topic), concise(topic), detailed(topic),
                                    context="concise"))
        pairs.append(PreferencePair(question(topic), detailed(topic), concise(topic),
                                    context="detailed"))
    model = MixtureRewardModel.create(featurizer, n_heads=2, stage1_context=True)
    model.fit(pairs, Stage1Config(epochs=30, patience=30, val_fraction=0.0, lr=0.01,
                                  progress=False))
    return model


@pytest.fixture
def micro_model(trained_micro) -> MixtureRewardModel:
    """The trained model (shared weights) with a fresh in-memory profile store."""
    model = copy.copy(trained_micro)
    model.profiles = UserProfileStore(n_heads=trained_micro.config.n_heads)
    return model


@pytest.fixture
def two_users(micro_model) -> MixtureRewardModel:
    """``micro_model`` where "ana" once chose the concise answer and "bo" the detailed one."""
    micro_model.record_feedback("ana", question("cats"), concise("cats"), detailed("cats"))
    micro_model.record_feedback("bo", question("cats"), detailed("cats"), concise("cats"))
    return micro_model
