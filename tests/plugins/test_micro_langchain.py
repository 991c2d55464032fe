"""MiCRo in LangChain's own pipelines: ContextualCompressionRetriever with MiCRoReranker,
CrossEncoderReranker with MiCRoCrossEncoder, and the PersonalizedRanker Runnable."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.vectorstores import InMemoryVectorStore

from mom_micro.plugins._ranking import MiCRoRankingError
from mom_micro.plugins.langchain import MiCRoCrossEncoder, MiCRoReranker, PersonalizedRanker

from .micro_fixtures import concise, detailed, question

try:
    from langchain_classic.retrievers import ContextualCompressionRetriever
    from langchain_classic.retrievers.document_compressors import CrossEncoderReranker
except ImportError:  # LangChain 0.3 kept them in the main package
    from langchain.retrievers import ContextualCompressionRetriever
    from langchain.retrievers.document_compressors import CrossEncoderReranker

OWLS = question("owls")
OWL_ANSWERS = [detailed("owls"), concise("owls"), "Owls are birds.", "Owls hunt at night."]


@pytest.fixture
def base_retriever():
    store = InMemoryVectorStore(DeterministicFakeEmbedding(size=16))
    store.add_documents([Document(text, metadata={"source": f"s{i}"})
                         for i, text in enumerate(OWL_ANSWERS)])
    return store.as_retriever(search_kwargs={"k": 4})


def test_reranker_in_contextual_compression_retriever_personalises(two_users, base_retriever):
    reranker = MiCRoReranker(model=two_users, top_n=2)
    tops = {}
    for user in ("ana", "bo"):
        retriever = ContextualCompressionRetriever(base_compressor=reranker.for_user(user),
                                                   base_retriever=base_retriever)
        docs = retriever.invoke(OWLS)
        assert len(docs) == 2
        scores = [d.metadata["relevance_score"] for d in docs]
        assert scores == sorted(scores, reverse=True)
        weights = docs[0].metadata["head_weights"]
        assert len(weights) == 2 and sum(weights) == pytest.approx(1.0, abs=1e-5)
        assert docs[0].metadata["source"].startswith("s")        # original metadata kept
        expected = two_users.score(OWLS, [d.page_content for d in docs], user=user)
        assert scores == pytest.approx(expected, abs=1e-4)
        tops[user] = docs[0].page_content
    assert tops == {"ana": concise("owls"), "bo": detailed("owls")}


def test_reranker_copies_documents_and_handles_no_documents(two_users):
    docs = [Document(text) for text in OWL_ANSWERS]
    out = MiCRoReranker(model=two_users, user="ana", top_n=10).compress_documents(docs, OWLS)
    assert len(out) == len(docs)
    assert all(not d.metadata for d in docs)                    # inputs untouched
    assert MiCRoReranker(model=two_users).compress_documents([], OWLS) == []


def test_stated_context_without_a_user(micro_model):
    reranker = MiCRoReranker(model=micro_model, top_n=1)
    docs = [Document(text) for text in OWL_ANSWERS[:2]]
    assert reranker.for_user(context="concise").compress_documents(docs, OWLS)[0].page_content \
        == concise("owls")
    assert reranker.for_user(context="detailed").compress_documents(docs, OWLS)[0].page_content \
        == detailed("owls")


def test_cross_encoder_in_langchain_cross_encoder_reranker(two_users, base_retriever):
    encoder = MiCRoCrossEncoder(model=two_users, user="bo")
    retriever = ContextualCompressionRetriever(
        base_compressor=CrossEncoderReranker(model=encoder, top_n=1),
        base_retriever=base_retriever)
    assert [d.page_content for d in retriever.invoke(OWLS)] == [detailed("owls")]
    pairs = [(OWLS, OWL_ANSWERS[0]), (question("tea"), concise("tea")), (OWLS, OWL_ANSWERS[1])]
    scores = encoder.score(pairs)
    assert scores[0] == pytest.approx(two_users.score(OWLS, OWL_ANSWERS[:2], user="bo")[0], abs=1e-4)
    assert scores[1] == pytest.approx(two_users.score(question("tea"), [concise("tea")], user="bo")[0],
                                      abs=1e-4)
    assert encoder.score([]) == []


def test_ranker_runnable_invoke_batch_stream_async(two_users):
    ranker = PersonalizedRanker(model=two_users)
    request = {"prompt": OWLS, "candidates": OWL_ANSWERS}
    ana = ranker.invoke({**request, "user": "ana"})
    assert ana.best.text == concise("owls") and ana.user == "ana"
    assert sorted(c.index for c in ana.candidates) == [0, 1, 2, 3]
    assert [c.score for c in ana.candidates] == sorted((c.score for c in ana.candidates), reverse=True)
    batch = ranker.batch([{**request, "user": "ana"}, {**request, "user": "bo"}])
    assert [r.best.text for r in batch] == [concise("owls"), detailed("owls")]
    assert batch[0].head_weights != batch[1].head_weights
    assert list(ranker.stream({**request, "user": "bo"}))[-1].best.text == detailed("owls")


async def test_ranker_async(two_users):
    ranker = PersonalizedRanker(model=two_users, user="ana")
    result = await ranker.ainvoke({"prompt": OWLS, "candidates": OWL_ANSWERS})
    assert result.best.text == concise("owls")
    both = await ranker.abatch([{"prompt": OWLS, "candidates": OWL_ANSWERS, "user": "bo"}])
    assert both[0].best.text == detailed("owls")


def test_record_choice_moves_a_new_users_routing(micro_model):
    ranker = PersonalizedRanker(model=micro_model)
    request = {"prompt": question("tea"), "candidates": [concise("tea"), detailed("tea")],
               "user": "cy"}
    before = ranker.invoke(request)
    wanted = next(c for c in before.candidates if c.text != before.best.text)
    profile = ranker.record_choice("cy", wanted, before.best)
    assert profile.updates == 1
    after = ranker.invoke(request)
    assert after.head_weights != pytest.approx(before.head_weights, abs=1e-3)
    assert after.best.text == wanted.text
    ranker.record_choice("cy", concise("bees"), [detailed("bees")], prompt=question("bees"))
    assert micro_model.profiles.get("cy").updates == 2


def test_clear_errors(two_users, tmp_path):
    ranker = PersonalizedRanker(model=two_users)
    with pytest.raises(MiCRoRankingError, match="no candidates"):
        ranker.invoke({"prompt": OWLS, "candidates": []})
    with pytest.raises(MiCRoRankingError, match="not one string"):
        ranker.invoke({"prompt": OWLS, "candidates": "just one"})
    with pytest.raises(MiCRoRankingError, match="lacks candidates"):
        ranker.invoke({"prompt": OWLS})
    with pytest.raises(MiCRoRankingError, match="requires a user or a context"):
        MiCRoReranker(model=two_users, require_user_or_context=True).compress_documents(
            [Document("x")], OWLS)
    with pytest.raises(MiCRoRankingError, match="needs prompt="):
        ranker.record_choice("ana", "a", "b")
    with pytest.raises(MiCRoRankingError, match="could not load a MiCRo model from"):
        PersonalizedRanker.from_model_dir(tmp_path / "nowhere")


def test_from_model_dir_round_trip_with_a_profile_file(two_users, tmp_path):
    path = two_users.save(tmp_path / "model")
    reranker = MiCRoReranker.from_model_dir(path, profiles=tmp_path / "profiles.json",
                                            user="dee", top_n=1)
    docs = [Document(text) for text in OWL_ANSWERS[:2]]
    first = reranker.compress_documents(docs, OWLS)[0]
    assert first.metadata["relevance_score"] == pytest.approx(
        two_users.score(OWLS, [first.page_content])[0], abs=1e-4)
    PersonalizedRanker(model=reranker.model).record_choice("dee", concise("owls"),
                                                           detailed("owls"), prompt=OWLS)
    assert (tmp_path / "profiles.json").is_file()
