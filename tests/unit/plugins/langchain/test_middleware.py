"""BestOfNMiddleware in the real ``create_agent`` with a scripted chat model: users get
answers in their style, tool steps run their tool once, the ranking is kept, every way
of running the agent works, bad input is refused."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.store.memory import InMemoryStore

from mom_micro.plugins.langchain import (
    TIMING_KEY,
    BestOfNMiddleware,
    PersonalizedRanker,
    ranking_of,
)
from mom_micro.plugins.langgraph import PROFILES_NAMESPACE, show_profile
from mom_micro.plugins.ranking import RANKING_KEY, MiCRoRankingError
from tests.support.chat import ScriptedChatModel
from tests.support.micro import concise, detailed, question

OWLS = question("owls")
ANSWERS = ["Owls are birds.", concise("owls"), detailed("owls"), "Owls hunt at night."]
ANA = {"user": "ana", "context": "concise"}
BEN = {"user": "ben", "context": "detailed"}


def _ask(text: str = OWLS) -> dict:
    return {"messages": [{"role": "user", "content": text}]}


@pytest.fixture
def ranker(micro_model) -> PersonalizedRanker:
    return PersonalizedRanker(model=micro_model)


@pytest.fixture
def lookups() -> list[str]:
    return []


@pytest.fixture
def search(lookups):
    @tool
    def search(query: str) -> str:
        """Look the question up."""
        lookups.append(query)
        return "Owls are nocturnal birds of prey."

    return search


def test_two_users_get_different_answers_from_one_agent(ranker):
    model = ScriptedChatModel(answers=ANSWERS)
    best_of_n = BestOfNMiddleware(ranker, n=4, temperature=0.8)
    agent = create_agent(model, [], middleware=[best_of_n])
    ana = agent.invoke(_ask(), context=ANA)["messages"][-1]
    ben = agent.invoke(_ask(), context=BEN)["messages"][-1]
    assert (ana.content, ben.content) == (concise("owls"), detailed("owls"))
    assert model.log == [("answer", 0.8)] * 8
    ranking = ranking_of(ana)
    assert ranking.user == "ana" and ranking.context == "concise" and ranking.prompt == OWLS
    assert sorted(c.text for c in ranking.candidates) == sorted(ANSWERS)
    assert ranking.best.text == ana.content and len(ranking.head_weights) == 2
    assert all(len(c.head_scores) == 2 for c in ranking.candidates)
    scores = [c.score for c in ranking.candidates]
    assert scores == sorted(scores, reverse=True)
    assert ranking_of(ben).head_weights != ranking.head_weights


def test_styles_are_cycled_over_the_candidates_and_the_cost_is_kept(ranker):
    model = ScriptedChatModel(answers=ANSWERS, echo_system=True)
    styles = ["Answer in one short sentence.", "Explain it thoroughly, step by step."]
    best_of_n = BestOfNMiddleware(ranker, n=4, styles=styles)
    agent = create_agent(model, [], system_prompt="Be kind.", middleware=[best_of_n])
    answer = agent.invoke(_ask(), context=ANA)["messages"][-1]
    texts = sorted(c.text for c in ranking_of(answer).candidates)
    assert texts == sorted(f"Be kind.\n\n{style}" for style in styles * 2)
    timing = answer.response_metadata[TIMING_KEY]
    assert timing["generate_ms"] > 0 and timing["rank_ms"] > 0
    with pytest.raises(MiCRoRankingError, match="styles must be a list"):
        BestOfNMiddleware(ranker, styles="Be brief.")


def test_a_context_object_and_configured_keys_name_the_user(ranker):
    @dataclass
    class Asker:
        who: str
        style: str

    best_of_n = BestOfNMiddleware(ranker, n=4, user_key="who", context_key="style")
    agent = create_agent(ScriptedChatModel(answers=ANSWERS), [], middleware=[best_of_n])
    answer = agent.invoke(_ask(), context=Asker("ben", "detailed"))["messages"][-1]
    assert answer.content == detailed("owls") and ranking_of(answer).user == "ben"


def test_a_tool_step_runs_its_tool_once_and_the_answer_is_ranked(ranker, search, lookups):
    model = ScriptedChatModel(answers=ANSWERS)
    agent = create_agent(model, [search], middleware=[BestOfNMiddleware(ranker, n=4)])
    messages = agent.invoke(_ask(), context=ANA)["messages"]
    assert lookups == [OWLS]
    assert model.calls("tool") == 4 and model.calls("answer") == 4
    calls = [m for m in messages if isinstance(m, AIMessage) and m.tool_calls]
    assert len(calls) == 1 and calls[0].tool_calls[0]["id"] == "call-1"
    assert ranking_of(calls[0]) is None
    assert len([m for m in messages if isinstance(m, ToolMessage)]) == 1
    assert messages[-1].content == concise("owls") and ranking_of(messages[-1]) is not None


async def test_ainvoke_draws_concurrently_and_ranks_for_the_user(ranker, search, lookups):
    model = ScriptedChatModel(answers=ANSWERS)
    agent = create_agent(model, [search], middleware=[BestOfNMiddleware(ranker, n=4)])
    ana, ben = [(await agent.ainvoke(_ask(), context=who))["messages"][-1] for who in (ANA, BEN)]
    assert (ana.content, ben.content) == (concise("owls"), detailed("owls"))
    assert lookups == [OWLS, OWLS] and model.calls("answer") == 8


def test_stream_updates_and_messages(ranker, search, lookups):
    agent = create_agent(
        ScriptedChatModel(answers=ANSWERS), [search], middleware=[BestOfNMiddleware(ranker, n=4)]
    )
    updates = list(agent.stream(_ask(), context=BEN, stream_mode="updates"))
    model_steps = [u["model"]["messages"][-1] for u in updates if "model" in u]
    assert len(model_steps) == 2 and model_steps[-1].content == detailed("owls")
    streamed = [m for m, _ in agent.stream(_ask(), context=ANA, stream_mode="messages")]
    answers = [m for m in streamed if isinstance(m, AIMessage) and m.content]
    assert [m.content for m in answers] == [concise("owls")]  # the chosen one, not all four
    assert RANKING_KEY in answers[0].response_metadata
    assert lookups == [OWLS, OWLS]


async def test_astream_messages(ranker):
    agent = create_agent(
        ScriptedChatModel(answers=ANSWERS), [], middleware=[BestOfNMiddleware(ranker, n=4)]
    )
    streamed = [m async for m, _ in agent.astream(_ask(), context=BEN, stream_mode="messages")]
    assert [m.content for m in streamed if m.content] == [detailed("owls")]


def test_n1_returns_the_models_answer_untouched(ranker):
    model = ScriptedChatModel(answers=ANSWERS, temperature=0.1)
    agent = create_agent(model, [], middleware=[BestOfNMiddleware(ranker, n=1, temperature=1)])
    answer = agent.invoke(_ask(), context=ANA)["messages"][-1]
    assert answer.content == ANSWERS[0] and RANKING_KEY not in answer.response_metadata
    assert model.log == [("answer", 0.1)]


def test_a_recorded_choice_in_the_agents_store_changes_the_next_answer(ranker):
    store = InMemoryStore()
    best_of_n = BestOfNMiddleware(ranker, n=4)
    agent = create_agent(
        ScriptedChatModel(answers=ANSWERS), [], middleware=[best_of_n], store=store
    )
    first = agent.invoke(_ask(), context={"user": "cy"})["messages"][-1]
    ranking = ranking_of(first)
    picked = concise("owls") if first.content != concise("owls") else detailed("owls")
    for topic in ("cats", "tea", "maps"):
        chosen, other = (
            (concise(topic), detailed(topic))
            if picked == concise("owls")
            else (detailed(topic), concise(topic))
        )
        best_of_n.record_choice("cy", question(topic), chosen, other, store=store)
    assert store.get(PROFILES_NAMESPACE, "cy").value["updates"] == 3
    assert show_profile(store, "cy")["recorded_choices"] == 3
    assert ranker.model.profiles.get("cy") is None  # the store, not the model, keeps it
    second = agent.invoke(_ask(), context={"user": "cy"})["messages"][-1]
    assert second.content == picked != first.content
    assert ranking_of(second).head_weights != ranking.head_weights


def test_a_failing_model_call_is_raised(ranker):
    agent = create_agent(
        ScriptedChatModel(answers=ANSWERS, fail=True), [], middleware=[BestOfNMiddleware(ranker)]
    )
    with pytest.raises(RuntimeError, match="scripted model failed"):
        agent.invoke(_ask(), context=ANA)


def test_bad_input_is_refused_with_a_clear_error(ranker):
    for n in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="n must be a whole number >= 1"):
            BestOfNMiddleware(ranker, n=n)
    with pytest.raises(MiCRoRankingError, match="needs a MiCRo ranker"):
        BestOfNMiddleware("my-reward")
    with pytest.raises(MiCRoRankingError, match="could not load a MiCRo model"):
        PersonalizedRanker.from_model_dir("/no/such/model")
    strict = BestOfNMiddleware(ranker, require_user=True)
    agent = create_agent(ScriptedChatModel(answers=ANSWERS), [], middleware=[strict])
    with pytest.raises(MiCRoRankingError, match="no 'user' in the agent's runtime context"):
        agent.invoke(_ask(), context={"context": "concise"})
    with pytest.raises(MiCRoRankingError, match="'user' must be a string"):
        agent.invoke(_ask(), context={"user": 7})
