"""Fixtures every test may use: offline mode, the shared evaluation data, and the test
doubles of :mod:`tests.support` (a scripted memory reader, hashed bag-of-words
embeddings and encoders, a small trained MiCRo model)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from llama_index.core import Document

from mom_micro.rewards import (
    CachedEncoder,
    FeatureCache,
    MixtureRewardModel,
    PreferenceFeaturizer,
)
from tests.support.memory import DATA, SECTIONS
from tests.support.micro import add_two_users, train_style_model, with_fresh_profiles
from tests.support.retrieval import PETS, SPACE, HashEmbedding, ParagraphReader
from tests.support.rewards import HashEncoder, WordVectorEncoder

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data`` beside the checkout; tests that need it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared evaluation data not found at {SHARED_DATA}")
    return SHARED_DATA


# -- retrieval -----------------------------------------------------------------------------
@pytest.fixture
def reader() -> ParagraphReader:
    return ParagraphReader()


@pytest.fixture
def embed() -> HashEmbedding:
    return HashEmbedding()


@pytest.fixture
def docs() -> list[Document]:
    return [Document(text=PETS, id_="pets"), Document(text=SPACE, id_="space")]


# -- memory ----------------------------------------------------------------------------------
@pytest.fixture
def water_text() -> str:
    return (DATA / "harbor_city_water.txt").read_text(encoding="utf-8")


@pytest.fixture
def section_starts(water_text) -> list[int]:
    return [water_text.index(title) for title in SECTIONS]


# -- rewards ---------------------------------------------------------------------------------
@pytest.fixture
def hash_featurizer(tmp_path) -> PreferenceFeaturizer:
    encoder = HashEncoder()
    cached = CachedEncoder(encoder, FeatureCache(tmp_path / "cache", encoder.name), progress=False)
    return PreferenceFeaturizer(cached, "compose")


@pytest.fixture(scope="session")
def trained_micro(tmp_path_factory) -> MixtureRewardModel:
    """The style model of :mod:`tests.support.micro` on bag-of-word-vectors features."""
    encoder = WordVectorEncoder()
    cache = FeatureCache(tmp_path_factory.mktemp("features"), encoder.name)
    return train_style_model(
        PreferenceFeaturizer(CachedEncoder(encoder, cache, progress=False), "compose")
    )


@pytest.fixture
def micro_model(trained_micro) -> MixtureRewardModel:
    """The trained model (shared weights) with a fresh in-memory profile store."""
    return with_fresh_profiles(trained_micro)


@pytest.fixture
def two_users(micro_model) -> MixtureRewardModel:
    """``micro_model`` where "ana" chose concise answers and "bo" detailed ones (3 each)."""
    return add_two_users(micro_model)
