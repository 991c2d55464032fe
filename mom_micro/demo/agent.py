"""Step 7 of the demo: one LangChain agent (``create_agent`` with
:class:`~mom_micro.plugins.langchain.BestOfNMiddleware`) answers each demo user in their
style, and one recorded choice in the agent's store changes a user's next answer.

Example:
    >>> report = agents_answer_users(model, print)                   # doctest: +SKIP
    >>> report.answers["ana"], report.after_choice                   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .display import snippet
from .ranking import STYLES, USERS

__all__ = ["AGENT_QUESTION", "AgentReport", "agents_answer_users"]

#: What the demo users ask the agent (an everyday question like those of the sample).
AGENT_QUESTION = "How do I keep bread fresh for longer?"
#: The user without a stated context whose one choice the demo records.
NEW_USER = "cy"


@dataclass
class AgentReport:
    """The agent's answer per user, the new user's answer before and after their one
    recorded choice, and the choice (the candidate they picked)."""

    answers: dict[str, str] = field(default_factory=dict)
    picked: str = ""
    before_choice: str = ""
    after_choice: str = ""


def agents_answer_users(
    model: Any,
    out: Callable[[str], None],
    chat_model: Any = None,
    n: int = 2,
    max_new_tokens: int = 80,
    users: Mapping[str, str] = USERS,
    question: str = AGENT_QUESTION,
) -> AgentReport:
    """Ask one best-of-``n`` agent ``question`` as each of ``users`` (user id -> stated
    context, passed in the runtime context), then as :data:`NEW_USER`, who states
    nothing: they pick the candidate ranked last (one choice over the others, recorded
    in the agent's ``InMemoryStore``), and ask again. ``chat_model`` defaults to the
    offline SmolLM2 (:class:`~mom_micro.plugins.langchain.LocalChatModel`, sampling);
    the ``n`` candidates cycle the demo's answer styles (one short, one thorough)."""
    from langchain.agents import create_agent
    from langgraph.store.memory import InMemoryStore

    from mom_micro.plugins.langchain import (
        BestOfNMiddleware,
        LocalChatModel,
        PersonalizedRanker,
        ranking_of,
    )

    if n < 2:
        raise ValueError(f"the agent step ranks n >= 2 candidates per answer, got n={n}")
    if chat_model is None:
        chat_model = LocalChatModel(temperature=0.7, max_new_tokens=max_new_tokens)
    store = InMemoryStore()
    best_of_n = BestOfNMiddleware(PersonalizedRanker(model=model), n=n, styles=STYLES)
    agent = create_agent(chat_model, [], middleware=[best_of_n], store=store)
    ask = {"messages": [{"role": "user", "content": question}]}
    out(
        f"  agent = create_agent(model, tools, middleware=[BestOfNMiddleware(ranker, n={n})], "
        f"store=InMemoryStore())\n  Q: {question}"
    )
    report = AgentReport()
    for user, wants in users.items():
        answer = agent.invoke(ask, context={"user": user, "context": wants})["messages"][-1]
        report.answers[user] = answer.text
        out(f"  {user} ({wants!r}): {snippet(answer.text, 200)}")

    first = agent.invoke(ask, context={"user": NEW_USER})["messages"][-1]
    ranking = ranking_of(first)
    assert ranking is not None  # every step of this agent answers, so each is ranked
    report.before_choice, report.picked = first.text, ranking.candidates[-1].text
    others = [c.text for c in ranking.candidates[:-1]]
    best_of_n.record_choice(NEW_USER, question, report.picked, others, store=store)
    again = agent.invoke(ask, context={"user": NEW_USER})["messages"][-1]
    report.after_choice = again.text
    out(
        f"  {NEW_USER} (no stated context) got: {snippet(first.text, 120)}\n"
        f"  {NEW_USER} picked another candidate instead: {snippet(report.picked, 120)}\n"
        f"  (recorded in the agent's store under ('mom_micro', 'profiles'), key "
        f"{NEW_USER!r}); {NEW_USER}'s next answer: {snippet(again.text, 120)}"
    )
    return report
