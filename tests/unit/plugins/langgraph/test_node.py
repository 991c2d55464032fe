"""RankCandidates in a real StateGraph with a checkpointer: candidate answers in the
state ranked for the user in the runtime context, their profile from the graph's store."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.store.memory import InMemoryStore
from typing_extensions import TypedDict

from mom_micro.plugins.langchain import PersonalizedRanker
from mom_micro.plugins.langgraph import RankCandidates
from mom_micro.plugins.ranking import MiCRoRankingError, Ranking
from tests.support.micro import concise, detailed, question

OWLS = question("owls")
ANSWERS = ["Owls are birds.", concise("owls"), detailed("owls"), "Owls hunt at night."]


class State(TypedDict, total=False):
    question: str
    candidates: list[str]
    answer: str
    ranking: dict[str, Any]


def draft(state: State) -> dict[str, Any]:
    return {"candidates": list(ANSWERS)}


def _graph(node: RankCandidates, store=None):
    graph = StateGraph(State)
    graph.add_node("draft", draft)
    graph.add_node("rank", node)
    graph.add_edge(START, "draft")
    graph.add_edge("draft", "rank")
    return graph.compile(checkpointer=InMemorySaver(), store=store)


@pytest.fixture
def ranker(micro_model) -> PersonalizedRanker:
    return PersonalizedRanker(model=micro_model)


def test_the_node_ranks_for_the_user_and_the_checkpoint_keeps_the_ranking(ranker):
    app = _graph(RankCandidates(ranker))
    answers = {}
    for thread, who in (
        ("1", {"user": "ana", "context": "concise"}),
        ("2", {"context": "detailed"}),
    ):
        config = {"configurable": {"thread_id": thread}}
        answers[thread] = app.invoke({"question": OWLS}, config, context=who)["answer"]
        kept = Ranking.model_validate(app.get_state(config).values["ranking"])
        assert kept.best.text == answers[thread] and len(kept.candidates) == 4
        assert kept.prompt == OWLS and len(kept.head_weights) == 2
    assert answers == {"1": concise("owls"), "2": detailed("owls")}


async def test_async_and_a_store_profile(ranker):
    store = InMemoryStore()
    node = RankCandidates(ranker)
    app = _graph(node, store=store)
    config = {"configurable": {"thread_id": "cy"}}
    first = (await app.ainvoke({"question": OWLS}, config, context={"user": "cy"}))["answer"]
    picked = detailed if first == concise("owls") else concise
    other = concise if picked is detailed else detailed
    for topic in ("cats", "tea", "maps"):  # the user's picks, recorded by a UI
        node.record_choice("cy", question(topic), picked(topic), other(topic), store=store)
    assert ranker.model.profiles.get("cy") is None  # kept in the graph's store
    second = (await app.ainvoke({"question": OWLS}, config, context={"user": "cy"}))["answer"]
    assert second == picked("owls") != first


def test_messages_state_and_message_candidates(ranker):
    class Chat(MessagesState):
        candidates: list[AIMessage]
        answer: str
        ranking: dict[str, Any]

    graph = StateGraph(Chat)
    graph.add_node("draft", lambda state: {"candidates": [AIMessage(a) for a in ANSWERS]})
    graph.add_node("rank", RankCandidates(ranker))
    graph.add_edge(START, "draft")
    graph.add_edge("draft", "rank")
    app = graph.compile(checkpointer=InMemorySaver())
    out = app.invoke(
        {"messages": [("user", OWLS)]},
        {"configurable": {"thread_id": "m"}},
        context={"context": "detailed"},
    )
    assert out["answer"] == detailed("owls") and out["ranking"]["prompt"] == OWLS


def test_bad_state_or_context_is_refused_with_a_clear_error(ranker):
    config = {"configurable": {"thread_id": "x"}}
    strict = _graph(RankCandidates(ranker, require_user=True))
    with pytest.raises(MiCRoRankingError, match="found no 'user' in the runtime context"):
        strict.invoke({"question": OWLS}, config, context={"context": "concise"})
    missing = _graph(RankCandidates(ranker, candidates_key="drafts"))
    with pytest.raises(MiCRoRankingError, match="non-empty list of candidate answers"):
        missing.invoke({"question": OWLS}, config)
    with pytest.raises(MiCRoRankingError, match="needs a MiCRo ranker"):
        RankCandidates(object())
