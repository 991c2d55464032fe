"""The memory tool of a LangChain agent, alone and in the real ``create_agent`` driven by
the scripted chat model of examples/memory_agent.py (which this also tests)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, ToolMessage

from mom_micro.plugins.langchain import MoMRetriever, memory_retriever_tool
from tests.support.retrieval import PETS, SPACE, HashEmbedding, ParagraphReader

EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "memory_agent.py"
BARK = "Which animals bark at strangers?"


@pytest.fixture(scope="module")
def retriever() -> MoMRetriever:
    docs = [Document(page_content=PETS, id="pets"), Document(page_content=SPACE, id="space")]
    return MoMRetriever.from_documents(
        docs, k=2, reader=ParagraphReader(), embed_model=HashEmbedding()
    )


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("memory_agent", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _dogs_citation() -> str:
    start, end = PETS.index("Dogs"), PETS.index("\n\nBirds")
    return f"Dogs (pets, characters {start}-{end})"


async def test_the_tool_shows_each_chunk_under_its_title_and_span(retriever):
    tool = memory_retriever_tool(retriever)
    content = tool.invoke({"query": BARK})
    header, _, text = content.partition("\n")
    assert header == f"[1] {_dogs_citation()}"
    assert text.startswith("Dogs\nDogs bark at strangers.")
    assert "\n\n[2] " in content
    assert await tool.ainvoke({"query": BARK}) == content
    call = {"name": "memory", "args": {"query": BARK}, "id": "c1", "type": "tool_call"}
    message = tool.invoke(call)
    assert isinstance(message, ToolMessage) and message.content == content
    first = message.artifact[0]
    assert PETS[first.metadata["start_index"] : first.metadata["end_index"]] == first.page_content
    assert tool.name == "memory" and "cite" in tool.description


def test_a_passage_without_one_span_names_its_chunks(retriever):
    budgeted = MoMRetriever(index=retriever.index, max_words=40, assemble=True)
    content = memory_retriever_tool(budgeted, name="notes").invoke({"query": BARK})
    assert content.startswith("[1] Dogs (pets, chunk")


def test_create_agent_calls_the_tool_once_and_cites_title_and_span(retriever, example):
    agent = example.build_agent(retriever)
    result = agent.invoke({"messages": [{"role": "user", "content": BARK}]})
    messages = result["messages"]
    tool_messages = [m for m in messages if isinstance(m, ToolMessage)]
    assert len(tool_messages) == 1
    assert tool_messages[0].content.startswith(f"[1] {_dogs_citation()}\n")
    assert tool_messages[0].artifact[0].metadata["title"] == "Dogs"
    answer = messages[-1]
    assert isinstance(answer, AIMessage) and not answer.tool_calls
    assert answer.content == f"Dogs Dogs bark at strangers. [1: {_dogs_citation()}]"


async def test_the_agent_runs_async_and_a_real_model_name_is_passed_on(retriever, example):
    agent = example.build_agent(retriever)
    result = await agent.ainvoke({"messages": [{"role": "user", "content": BARK}]})
    assert _dogs_citation() in result["messages"][-1].content
    with pytest.raises(ValueError, match="provider"):
        example.build_agent(retriever, "no-such-model-name")
