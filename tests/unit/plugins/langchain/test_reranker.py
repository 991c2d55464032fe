"""MiCRoReranker in ContextualCompressionRetriever and MiCRoCrossEncoder in CrossEncoderReranker."""

from __future__ import annotations

import pytest
from langchain_classic.retrievers import ContextualCompressionRetriever
from langchain_classic.retrievers.document_compressors import CrossEncoderReranker
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.vectorstores import InMemoryVectorStore

from mom_micro.plugins.langchain import MiCRoCrossEncoder, MiCRoReranker
from mom_micro.plugins.ranking import combine_relevance
from tests.support.micro import concise, detailed, question

OWLS = question("owls")

OWL_ANSWERS = [detailed("owls"), concise("owls"), "Owls are birds.", "Owls hunt at night."]


@pytest.fixture
def base_retriever():
    store = InMemoryVectorStore(DeterministicFakeEmbedding(size=16))
    store.add_documents(
        [Document(text, metadata={"source": f"s{i}"}) for i, text in enumerate(OWL_ANSWERS)]
    )
    return store.as_retriever(search_kwargs={"k": 4})


def test_reranker_in_contextual_compression_retriever_personalises(two_users, base_retriever):
    reranker = MiCRoReranker(model=two_users, top_n=2, reward_weight=1.0)  # the reward only
    tops = {}
    for user in ("ana", "bo"):
        retriever = ContextualCompressionRetriever(
            base_compressor=reranker.for_user(user), base_retriever=base_retriever
        )
        docs = retriever.invoke(OWLS)
        assert len(docs) == 2
        scores = [d.metadata["relevance_score"] for d in docs]
        assert scores == sorted(scores, reverse=True)
        weights = docs[0].metadata["head_weights"]
        assert weights == pytest.approx(two_users.weights(OWLS, user=user)[:2].tolist())
        assert docs[0].metadata["source"].startswith("s")  # original metadata kept
        expected = two_users.score(OWLS, [d.page_content for d in docs], user=user)
        assert [d.metadata["reward"] for d in docs] == pytest.approx(expected, abs=1e-4)
        tops[user] = docs[0].page_content
    assert tops == {"ana": concise("owls"), "bo": detailed("owls")}


def test_relevant_documents_stay_ahead_and_the_user_reorders_them(two_users):
    """Off-topic chunks with a high reward for the user do not push the relevant ones
    out; among the relevant ones each user gets their style first."""
    relevant = [
        Document(detailed("owls"), metadata={"score": 0.81}),
        Document("Owls hunt at night.", metadata={"score": 0.83}),
        Document(concise("owls"), metadata={"score": 0.80}),
    ]
    off_topic = [
        Document(concise("tea"), metadata={"score": 0.21}),
        Document(detailed("bees"), metadata={"score": 0.18}),
        Document(concise("comets"), metadata={"score": 0.15}),
    ]
    docs = off_topic[:2] + relevant + off_topic[2:]
    reranker = MiCRoReranker(model=two_users, top_n=3)
    tops = {}
    for user in ("ana", "bo"):
        kept = reranker.for_user(user).compress_documents(docs, OWLS)
        assert {d.page_content for d in kept} == {d.page_content for d in relevant}
        assert [d.metadata["retrieval_relevance"] for d in kept] != [0.83, 0.81, 0.80]
        tops[user] = kept[0].page_content
    assert tops == {"ana": concise("owls"), "bo": detailed("owls")}
    # the bare reward (the old behaviour) lets an off-topic chunk in
    bare = MiCRoReranker(model=two_users, top_n=3, reward_weight=1.0).for_user("ana")
    kept = {d.page_content for d in bare.compress_documents(docs, OWLS)}
    assert kept & {d.page_content for d in off_topic}


def test_reranker_copies_documents_and_handles_no_documents(two_users):
    docs = [Document(text) for text in OWL_ANSWERS]
    out = MiCRoReranker(model=two_users, user="ana", top_n=10).compress_documents(docs, OWLS)
    assert len(out) == len(docs)
    assert all(not d.metadata for d in docs)  # inputs untouched
    assert MiCRoReranker(model=two_users).compress_documents([], OWLS) == []


def test_stated_context_without_a_user(micro_model):
    reranker = MiCRoReranker(model=micro_model, top_n=1, reward_weight=1.0)
    docs = [Document(text) for text in OWL_ANSWERS[:2]]
    assert reranker.for_user(context="concise").compress_documents(docs, OWLS)[
        0
    ].page_content == concise("owls")
    assert reranker.for_user(context="detailed").compress_documents(docs, OWLS)[
        0
    ].page_content == detailed("owls")


def test_cross_encoder_in_langchain_cross_encoder_reranker(two_users, base_retriever):
    encoder = MiCRoCrossEncoder(model=two_users, user="bo", reward_weight=1.0)
    retriever = ContextualCompressionRetriever(
        base_compressor=CrossEncoderReranker(model=encoder, top_n=1), base_retriever=base_retriever
    )
    assert [d.page_content for d in retriever.invoke(OWLS)] == [detailed("owls")]
    assert encoder.score([]) == []


def test_cross_encoder_scores_combine_the_backbones_relevance_per_query(two_users):
    encoder = MiCRoCrossEncoder(model=two_users, user="bo")
    pairs = [(OWLS, OWL_ANSWERS[0]), (question("tea"), concise("tea")), (OWLS, OWL_ANSWERS[1])]
    scores = encoder.score(pairs)
    rewards = two_users.score(OWLS, OWL_ANSWERS[:2], user="bo")
    relevance = two_users.relevance(OWLS, OWL_ANSWERS[:2])
    assert [scores[0], scores[2]] == pytest.approx(combine_relevance(rewards, relevance))
    assert scores[1] == 1.0  # alone for its query: the top of both ranges
