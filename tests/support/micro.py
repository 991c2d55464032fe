"""A small MiCRo model for the adapter and chain tests, and two users it tells apart.

Synthetic pairs over 16 topics in two plainly labelled styles, "concise" (a one-line
fact wins) and "detailed" (a long explanation wins), where both styles also beat a bland
filler sentence (so a plain short sentence is not mistaken for "not concise"), trained with the context-aware
stage-1 router so that the K=2 heads split by style. Users get their preferences the way
real users would: by recorded choices (online Hedge routing), not by a context label.
:func:`train_style_model` takes the featurizer: the unit tests use the hashed
bag-of-words encoder (no model load), the integration tests the bundled MiniLM.
"""

from __future__ import annotations

import copy

from mom_micro.rewards import (
    MixtureRewardModel,
    PreferenceFeaturizer,
    PreferencePair,
    Stage1Config,
    train_stage1,
)

TOPICS = (
    "cats rivers volcanoes bread chess trains tea comets bees glaciers maps violins "
    "deserts coral bridges clocks"
).split()


def concise(topic: str) -> str:
    return f"{topic.capitalize()}: one quick fact."


def detailed(topic: str) -> str:
    return (
        f"Here is a thorough, detailed explanation of {topic}, covering their history, "
        "how they work, and several examples with background."
    )


def filler(topic: str) -> str:
    return f"{topic.capitalize()} are things that exist."


def question(topic: str) -> str:
    return f"Tell me about {topic}."


def train_style_model(featurizer: PreferenceFeaturizer) -> MixtureRewardModel:
    """K=2 heads trained on the concise / detailed pairs of every topic."""
    pairs = []
    for topic in TOPICS:
        pairs.append(
            PreferencePair(question(topic), concise(topic), detailed(topic), context="concise")
        )
        pairs.append(
            PreferencePair(question(topic), detailed(topic), concise(topic), context="detailed")
        )
        pairs.append(
            PreferencePair(question(topic), concise(topic), filler(topic), context="concise")
        )
        pairs.append(
            PreferencePair(question(topic), detailed(topic), filler(topic), context="detailed")
        )
    model = MixtureRewardModel.create(featurizer, n_heads=2, stage1_context=True)
    train_stage1(
        model,
        pairs,
        Stage1Config(epochs=30, patience=30, val_fraction=0.0, lr=0.01, progress=False),
    )
    return model


def with_fresh_profiles(model: MixtureRewardModel) -> MixtureRewardModel:
    """``model`` (shared weights) with an empty in-memory profile store."""
    copied = copy.copy(model)
    copied.profiles = model.profile_store()
    return copied


def add_two_users(model: MixtureRewardModel) -> MixtureRewardModel:
    """``model`` where "ana" chose the concise answer on three topics and "bo" the
    detailed one (a few choices move a user; one alone is held back by the prior)."""
    for topic in ("cats", "tea", "maps"):
        model.record_feedback("ana", question(topic), concise(topic), detailed(topic))
        model.record_feedback("bo", question(topic), detailed(topic), concise(topic))
    return model
