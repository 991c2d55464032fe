"""The memory-RAG chain with scripted chat models: memory in the prompt, n candidates,
the best answer per user, record_choice, async; and with MoMRetriever's outline titles."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.language_models import FakeListChatModel
from langchain_core.vectorstores import InMemoryVectorStore

from mom_micro.chains import format_memory, memory_rag_chain
from mom_micro.plugins.langchain import MoMRetriever, PersonalizedRanker
from mom_micro.plugins.ranking import MiCRoRankingError
from tests.support.micro import concise, detailed, question
from tests.support.retrieval import PETS, SPACE, HashEmbedding, ParagraphReader

OWLS = question("owls")

SERIAL = {"max_concurrency": 1}  # FakeListChatModel's script is not thread-safe


class PromptRecorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.prompts: list[str] = []

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[Any]], **kwargs: Any
    ) -> None:
        self.prompts.extend("\n".join(m.content for m in batch) for batch in messages)


@pytest.fixture
def retriever():
    store = InMemoryVectorStore(DeterministicFakeEmbedding(size=16))
    store.add_documents(
        [
            Document("Owls hunt at night and fly silently.", metadata={"title": "Owl behaviour"}),
            Document(
                "Barn owls live on every continent but Antarctica.",
                metadata={"title": "Where owls live"},
            ),
        ]
    )
    return store.as_retriever(search_kwargs={"k": 2})


def fake_llm() -> FakeListChatModel:
    return FakeListChatModel(responses=[detailed("owls"), concise("owls"), "Owls are birds."])


def test_two_users_get_different_best_answers_from_the_same_candidates(two_users, retriever):
    recorder = PromptRecorder()
    chain = memory_rag_chain(retriever, fake_llm(), PersonalizedRanker(model=two_users), n=3)
    out = {
        user: chain.invoke({"question": OWLS, "user": user}, {**SERIAL, "callbacks": [recorder]})
        for user in ("ana", "bo")
    }
    assert out["ana"]["answer"] == concise("owls")
    assert out["bo"]["answer"] == detailed("owls")
    for result in out.values():
        ranking = result["ranking"]
        assert sorted(c.text for c in ranking.candidates) == sorted(
            [detailed("owls"), concise("owls"), "Owls are birds."]
        )
        assert [c.score for c in ranking.candidates] == sorted(
            (c.score for c in ranking.candidates), reverse=True
        )
        assert len(result["documents"]) == 2 and result["question"] == OWLS
    assert len(recorder.prompts) == 6  # n = 3 calls per question
    assert (
        "[1] Owl behaviour" in recorder.prompts[0] or "[1] Where owls live" in recorder.prompts[0]
    )
    assert "Owls hunt at night" in recorder.prompts[0] and OWLS in recorder.prompts[0]


def test_record_choice_through_the_chain_moves_the_users_routing(micro_model, retriever):
    chain = memory_rag_chain(retriever, fake_llm(), micro_model, n=3)
    first = chain.invoke({"question": OWLS, "user": "cy"}, SERIAL)
    ranking = first["ranking"]
    wanted = next(
        c
        for c in ranking.candidates
        if c.text in (concise("owls"), detailed("owls")) and c.text != first["answer"]
    )
    chain.record_choice("cy", wanted, ranking.best)
    again = chain.invoke({"question": OWLS, "user": "cy"}, SERIAL)
    assert again["ranking"].head_weights != pytest.approx(ranking.head_weights, abs=1e-3)
    assert again["answer"] == wanted.text


async def test_async_plain_question_stated_context_and_duplicates(micro_model, retriever):
    llm = FakeListChatModel(responses=[concise("owls"), concise("owls"), detailed("owls")])
    chain = memory_rag_chain(
        retriever, llm, PersonalizedRanker(model=micro_model, context="detailed"), n=3
    )
    out = await chain.ainvoke(OWLS, SERIAL)
    assert out["user"] is None
    assert [c.text for c in out["ranking"].candidates] == [detailed("owls"), concise("owls")]
    assert out["ranking"].context == "detailed"


def test_chunks_carry_their_outline_titles_from_mom_retriever(two_users):
    docs = [Document(page_content=PETS, id="pets"), Document(page_content=SPACE, id="space")]
    mom = MoMRetriever.from_documents(
        docs, reader=ParagraphReader(), embed_model=HashEmbedding(), k=2
    )
    recorder = PromptRecorder()
    llm = FakeListChatModel(responses=["Cats purr.", "Cats purr when content and groom fur."])
    out = memory_rag_chain(mom, llm, two_users, n=2).invoke(
        {"question": "Why do cats purr?", "user": "ana"}, {**SERIAL, "callbacks": [recorder]}
    )
    titles = [d.metadata["title"] for d in out["documents"]]
    assert "Cats" in titles
    assert f"] {titles[0]}\n{out['documents'][0].page_content}" in recorder.prompts[0]
    assert out["answer"] in ("Cats purr.", "Cats purr when content and groom fur.")


def test_styles_are_cycled_over_the_samples_and_added_to_the_question(micro_model, retriever):
    recorder = PromptRecorder()
    styles = ["Answer in one sentence.", "Explain step by step."]
    llm = FakeListChatModel(responses=["a", "b", "c"])
    out = memory_rag_chain(retriever, llm, micro_model, n=3, styles=styles).invoke(
        OWLS, {**SERIAL, "callbacks": [recorder]}
    )
    assert len(recorder.prompts) == 3 and sorted(
        out["ranking"].candidates[i].text for i in range(3)
    ) == ["a", "b", "c"]
    endings = [prompt.rsplit("\n", 1)[-1] for prompt in recorder.prompts]
    assert endings == [styles[0], styles[1], styles[0]]
    assert all(f"{OWLS}\n\n" in prompt for prompt in recorder.prompts)
    with pytest.raises(ValueError, match="styles"):
        memory_rag_chain(retriever, llm, micro_model, styles="Be brief.")
    with pytest.raises(ValueError, match="styles"):
        memory_rag_chain(retriever, llm, micro_model, styles=["ok", " "])


def test_format_memory_and_clear_errors(micro_model, retriever):
    memory = format_memory([Document("a", metadata={"title": "T"}), Document("b")])
    assert memory == "[1] T\na\n\n[2]\nb"
    with pytest.raises(ValueError, match="n must be >= 1"):
        memory_rag_chain(retriever, fake_llm(), micro_model, n=0)
    chain = memory_rag_chain(retriever, fake_llm(), micro_model, n=2)
    with pytest.raises(MiCRoRankingError, match="question"):
        chain.invoke({"query": OWLS})
    empty = memory_rag_chain(retriever, FakeListChatModel(responses=["  "]), micro_model, n=2)
    with pytest.raises(MiCRoRankingError, match="no candidates"):
        empty.invoke(OWLS, SERIAL)
