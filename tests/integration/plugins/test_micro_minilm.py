"""The MiCRo adapters on the real bundled MiniLM: the style model of
:mod:`tests.support.micro` tells two users apart on a topic it never saw, and a saved
model reloads its backbone from the checkpoint alone."""

from __future__ import annotations

import pytest
from langchain_classic.retrievers.document_compressors import CrossEncoderReranker
from langchain_core.documents import Document

from mom_micro.plugins.langchain import MiCRoCrossEncoder, MiCRoReranker
from mom_micro.rewards import (
    CachedEncoder,
    FeatureCache,
    MixtureRewardModel,
    PreferenceFeaturizer,
    SentenceTransformerEncoder,
)
from tests.support.micro import (
    add_two_users,
    concise,
    detailed,
    question,
    train_style_model,
    with_fresh_profiles,
)

OWLS = question("owls")
OWL_ANSWERS = [detailed("owls"), concise("owls"), "Owls are birds.", "Owls hunt at night."]


@pytest.fixture(scope="module")
def minilm_micro(tmp_path_factory) -> MixtureRewardModel:
    encoder = SentenceTransformerEncoder()
    cache = FeatureCache(tmp_path_factory.mktemp("features"), encoder.name)
    featurizer = PreferenceFeaturizer(CachedEncoder(encoder, cache, progress=False), "compose")
    return add_two_users(with_fresh_profiles(train_style_model(featurizer)))


def test_two_users_get_their_style_first_on_an_unseen_topic(minilm_micro):
    reranker = MiCRoReranker(model=minilm_micro, top_n=1, reward_weight=1.0)  # reward only
    docs = [Document(text) for text in OWL_ANSWERS]
    tops = {
        user: reranker.for_user(user).compress_documents(docs, OWLS)[0].page_content
        for user in ("ana", "bo")
    }
    assert tops == {"ana": concise("owls"), "bo": detailed("owls")}


def test_a_saved_model_reloads_its_backbone_from_the_checkpoint(minilm_micro, tmp_path):
    path = minilm_micro.save(tmp_path / "model")
    reranker = MiCRoReranker.from_model_dir(path, profiles=tmp_path / "profiles.json", top_n=1)
    assert reranker.model.featurizer.name == minilm_micro.featurizer.name
    expected = minilm_micro.score(OWLS, OWL_ANSWERS[:2])
    assert reranker.model.score(OWLS, OWL_ANSWERS[:2]) == pytest.approx(expected, abs=1e-4)


def test_cross_encoder_reranker_keeps_the_relevant_documents_and_personalises_them(
    minilm_micro,
):
    """LangChain's CrossEncoderReranker passes only (query, text): relevance comes from
    MiniLM's cosine, so off-topic answers in the users' own styles stay out of the top 3,
    and each user's style leads among the owl answers."""
    off_topic = [concise("tea"), detailed("bees"), concise("comets"), detailed("glaciers")]
    docs = [Document(text) for text in off_topic[:2] + OWL_ANSWERS + off_topic[2:]]
    tops = {}
    for user in ("ana", "bo"):
        encoder = MiCRoCrossEncoder(model=minilm_micro, user=user)
        kept = CrossEncoderReranker(model=encoder, top_n=3).compress_documents(docs, OWLS)
        assert all("owls" in d.page_content.lower() for d in kept), [d.page_content for d in kept]
        tops[user] = kept[0].page_content
    assert tops == {"ana": concise("owls"), "bo": detailed("owls")}
