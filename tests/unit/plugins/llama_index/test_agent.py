"""The memory tool and BestOfNLLM in LlamaIndex's real AgentWorkflow / FunctionAgent and a
query engine, with LlamaIndex's MockFunctionCallingLLM following a script."""

from __future__ import annotations

import pytest
from llama_index.core import Document
from llama_index.core.agent.workflow import AgentWorkflow, FunctionAgent, ToolCallResult
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.llms import MockLLM
from llama_index.core.llms.mock import MockFunctionCallingLLM
from pydantic import ValidationError

from mom_micro.plugins.llama_index import (
    RANKING_KEY,
    BestOfNLLM,
    BestOfNQueryEngine,
    MiCRoNodePostprocessor,
    memory_retriever_tool,
    ranking_of,
)
from mom_micro.plugins.ranking import MiCRoRankingError
from mom_micro.retrievers import MemoryIndex
from tests.support.agents import SearchThenAnswer
from tests.support.micro import concise, detailed, filler, question
from tests.support.retrieval import PETS, SPACE, HashEmbedding, ParagraphReader

CATS = question("cats")
ANSWERS = [detailed("cats"), concise("cats"), filler("cats")]


@pytest.fixture(scope="module")
def memory() -> MemoryIndex:
    docs = [Document(text=PETS, id_="pets"), Document(text=SPACE, id_="space")]
    return MemoryIndex.from_documents(docs, reader=ParagraphReader(), embed_model=HashEmbedding())


def _cats_span() -> tuple[int, int]:
    start = PETS.index("Cats")
    return start, PETS.index("\n\nDogs")


async def test_the_tool_shows_each_chunk_under_its_title_and_span(memory):
    tool = memory_retriever_tool(memory.as_retriever(similarity_top_k=2), name="memory")
    output = tool.call(query="Which animals bark at strangers?")
    first = output.raw_output[0].node
    header, _, rest = output.content.partition("\n")
    assert header == f"[1] Dogs (pets, characters {first.start_char_idx}-{first.end_char_idx})"
    assert rest.startswith(PETS[first.start_char_idx : first.end_char_idx])
    assert "[2] " in output.content and len(output.raw_output) == 2
    assert (await tool.acall(query="Which animals bark at strangers?")).content == output.content
    assert tool.call("Which animals bark at strangers?").content == output.content
    assert tool.metadata.get_parameters_dict()["required"] == ["query"]
    with pytest.raises(ValueError, match="takes one argument, query"):
        tool.call(question="dogs")


@pytest.mark.parametrize("streaming", [False, True])
async def test_agent_workflow_cites_memory_once_and_answers_each_user_in_their_style(
    memory, two_users, streaming
):
    tool = memory_retriever_tool(memory.as_retriever(similarity_top_k=2))
    best_of_3 = BestOfNLLM(llm=MockLLM(), ranker=MiCRoNodePostprocessor(model=two_users), n=3)
    start, end = _cats_span()
    answers = {}
    for user in ("ana", "bo"):
        script = SearchThenAnswer("memory", ANSWERS)
        llm = best_of_3.model_copy(update={"llm": script.llm()}).for_user(user)
        agent = FunctionAgent(
            name="librarian",
            description="Answers from memory.",
            tools=[tool],
            llm=llm,
            streaming=streaming,
        )
        handler = AgentWorkflow(agents=[agent]).run(user_msg=CATS)
        results = [ev async for ev in handler.stream_events() if isinstance(ev, ToolCallResult)]
        output = await handler
        assert len(results) == 1  # the tool step ran its tool once, not n times
        assert results[0].tool_kwargs == {"query": CATS}
        assert f"[1] Cats (pets, characters {start}-{end})" in results[0].tool_output.content
        assert script.calls == 6  # 3 candidates for the tool step, 3 for the answer
        ranking = ranking_of(output)
        assert ranking is not None and ranking.user == user and ranking.prompt == CATS
        assert sorted(c.text for c in ranking.candidates) == sorted(ANSWERS)
        assert ranking.best.text == output.response.content
        answers[user] = output.response.content
    assert answers == {"ana": concise("cats"), "bo": detailed("cats")}


def test_n_1_is_the_model_untouched(micro_model):
    script = SearchThenAnswer("memory", ANSWERS)
    llm = BestOfNLLM(llm=script.llm(), ranker=MiCRoNodePostprocessor(model=micro_model), n=1)
    messages = [ChatMessage(role="user", content=CATS)]
    response = llm.chat(messages)
    assert response.message.content == ANSWERS[0] and RANKING_KEY not in response.raw
    assert ranking_of(response) is None and script.calls == 1
    chunks = list(llm.stream_chat(messages))
    assert chunks[-1].message.content == ANSWERS[1]


async def test_query_engine_answers_the_best_completion_for_the_context(memory, micro_model):
    ranker = MiCRoNodePostprocessor(model=micro_model)
    for context, expected in (("concise", concise("cats")), ("detailed", detailed("cats"))):
        script = SearchThenAnswer("memory", ANSWERS)
        engine = BestOfNQueryEngine.from_args(
            memory.as_retriever(similarity_top_k=2), ranker, n=3, llm=script.llm()
        ).for_user(context=context)
        response = engine.query(CATS)
        assert str(response) == expected and script.calls == 3  # one LLM call per answer
        assert response.source_nodes[0].node.metadata["title"] == "Cats"
        assert ranking_of(response).context == context
        assert str(await engine.aquery(CATS)) == expected
    single = BestOfNQueryEngine.from_args(
        memory.as_retriever(), ranker, n=1, llm=SearchThenAnswer("memory", ANSWERS).llm()
    )
    response = single.query(CATS)
    assert str(response) == ANSWERS[0] and ranking_of(response) is None


async def test_completions_are_ranked_and_stream_as_one_chunk(micro_model):
    # MockLLM echoes the prompt: two equal candidates, the first kept
    llm = BestOfNLLM(llm=MockLLM(), ranker=MiCRoNodePostprocessor(model=micro_model), n=2)
    response = llm.complete(CATS)
    ranking = ranking_of(response)
    assert response.text == CATS and [c.index for c in ranking.candidates] == [0, 1]
    chunks = [chunk async for chunk in await llm.astream_complete(CATS)]
    assert len(chunks) == 1 and chunks[0].delta == chunks[0].text


def test_bad_setups_say_what_is_wrong(micro_model):
    ranker = MiCRoNodePostprocessor(model=micro_model)
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        BestOfNLLM(llm=MockLLM(), ranker=ranker, n=0)
    with pytest.raises(MiCRoRankingError, match="cannot call tools"):
        BestOfNLLM(llm=MockLLM(), ranker=ranker).chat_with_tools([], user_msg=CATS)

    def fail(messages, **kwargs):
        raise RuntimeError("the model is down")

    failing = MockFunctionCallingLLM(response_generator=fail, is_chat_model=True)
    with pytest.raises(RuntimeError, match="the model is down"):
        BestOfNLLM(llm=failing, ranker=ranker, n=2).chat([ChatMessage(role="user", content=CATS)])
    strict = BestOfNLLM(
        llm=MockLLM(), ranker=ranker.model_copy(update={"require_user_or_context": True}), n=2
    )
    with pytest.raises(MiCRoRankingError, match="requires a user or a context"):
        strict.complete(CATS)
