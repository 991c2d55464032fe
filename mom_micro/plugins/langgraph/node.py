"""``RankCandidates``: a LangGraph node that ranks the candidate answers in the graph
state for the user in the runtime context (for hand-built ``StateGraph`` s)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import BaseMessage
from langgraph.runtime import Runtime
from langgraph.store.base import BaseStore

from mom_micro.plugins.ranking import MiCRoRankingError, MiCRoRankingFields, ScoredCandidate
from mom_micro.rewards import UserProfile

from .runtime import prompt_of, ranker_for_store, record_choice_for, who_is_asking

__all__ = ["RankCandidates"]


def _read(state: Any, key: str) -> Any:
    return state.get(key) if isinstance(state, Mapping) else getattr(state, key, None)


class RankCandidates:
    """A graph node: rank ``state[candidates_key]`` for the user asking and write the
    best answer and the whole ranking back to the state.

    The prompt is ``state[prompt_key]``, else the last human message of
    ``state["messages"]``; the candidates are strings or messages (their text); the user
    and stated context come from the runtime context (``graph.invoke(state,
    context={"user": "ana", "context": "concise"})``, a mapping or an object; keys
    ``user_key`` / ``context_key``), their profile from the runtime store when the graph
    has one (:class:`~mom_micro.plugins.langgraph.StoreProfiles`), else from the ranker's
    model. The update is ``{answer_key: best text, ranking_key: the Ranking as a dict}``
    (plain JSON, so any checkpointer keeps it), ranked by
    :func:`~mom_micro.plugins.ranking.rank_texts`:
    ``r(x, y | c, u) = sum_k w_k(x, c) r_k(x, y) + beta_u^T z(x, y)``.

    Example:
        .. code-block:: python

            from langgraph.checkpoint.memory import InMemorySaver
            from langgraph.graph import START, StateGraph

            graph = StateGraph(State)
            graph.add_node("draft", draft_answers)            # writes state["candidates"]
            graph.add_node("rank", RankCandidates(ranker))    # writes answer and ranking
            graph.add_edge(START, "draft"); graph.add_edge("draft", "rank")
            app = graph.compile(checkpointer=InMemorySaver())
            app.invoke({"question": "Tides?"}, {"configurable": {"thread_id": "1"}},
                       context={"user": "ana"})["answer"]

    Args:
        ranker: the MiCRo ranker (:class:`~mom_micro.plugins.langchain.PersonalizedRanker`
            or any MiCRo adapter).
        candidates_key / prompt_key: the state's candidate answers and question.
        answer_key / ranking_key: where the best answer and the ranking go.
        user_key / context_key: the runtime context's names for the user and context.
        require_user: refuse a run whose runtime context names no user.
    """

    def __init__(
        self,
        ranker: MiCRoRankingFields,
        candidates_key: str = "candidates",
        prompt_key: str = "question",
        answer_key: str = "answer",
        ranking_key: str = "ranking",
        user_key: str = "user",
        context_key: str = "context",
        require_user: bool = False,
    ) -> None:
        if not isinstance(ranker, MiCRoRankingFields):
            raise MiCRoRankingError(
                f"RankCandidates needs a MiCRo ranker (PersonalizedRanker), not a "
                f"{type(ranker).__name__}"
            )
        self.ranker = ranker
        self.candidates_key = candidates_key
        self.prompt_key = prompt_key
        self.answer_key = answer_key
        self.ranking_key = ranking_key
        self.user_key = user_key
        self.context_key = context_key
        self.require_user = require_user

    def _prompt(self, state: Any) -> str:
        prompt = _read(state, self.prompt_key)
        if isinstance(prompt, str):
            return prompt
        messages = _read(state, "messages")
        if messages:
            return prompt_of(messages)
        raise MiCRoRankingError(
            f"RankCandidates found no {self.prompt_key!r} string and no 'messages' in the state"
        )

    def _candidates(self, state: Any) -> list[str]:
        candidates = _read(state, self.candidates_key)
        if not isinstance(candidates, list) or not candidates:
            raise MiCRoRankingError(
                f"RankCandidates needs a non-empty list of candidate answers in the state's "
                f"{self.candidates_key!r}, got {candidates!r}"
            )
        return [c.text if isinstance(c, BaseMessage) else c for c in candidates]

    def __call__(self, state: Any, runtime: Runtime) -> dict[str, Any]:
        """The state update: the best answer and the ranking."""
        user, context = who_is_asking(runtime.context, self.user_key, self.context_key)
        if self.require_user and user is None:
            raise MiCRoRankingError(
                f"RankCandidates(require_user=True) found no {self.user_key!r} in the runtime "
                f"context; run the graph with context={{{self.user_key!r}: '<user id>'}}"
            )
        ranker = ranker_for_store(self.ranker, runtime.store)
        ranking = ranker.rank(
            self._prompt(state), self._candidates(state), user=user, context=context
        )
        return {self.answer_key: ranking.best.text, self.ranking_key: ranking.model_dump()}

    def record_choice(
        self,
        user: str,
        prompt: str,
        chosen: ScoredCandidate | str,
        rejected: ScoredCandidate | str | Sequence[ScoredCandidate | str],
        store: BaseStore | None = None,
        context: str | None = None,
    ) -> UserProfile:
        """Record the user's pick among the ranked candidates into their profile in
        ``store`` (the graph's store), else the ranker's model's
        (:func:`~mom_micro.plugins.langgraph.record_choice_for`)."""
        return record_choice_for(self.ranker, user, prompt, chosen, rejected, store, context)
