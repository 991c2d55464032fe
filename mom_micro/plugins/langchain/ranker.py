"""``PersonalizedRanker``: rank candidate responses for a user as a LangChain Runnable."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.runnables import RunnableConfig, RunnableSerializable
from typing_extensions import NotRequired, TypedDict

from mom_micro.plugins.ranking import (
    MiCRoRankingError,
    MiCRoRankingFields,
    Ranking,
    ScoredCandidate,
    record_choice,
)
from mom_micro.rewards import UserProfile

__all__ = ["PersonalizedRanker", "RankerInput"]


class RankerInput(TypedDict):
    """Input of :class:`PersonalizedRanker`."""

    prompt: str
    candidates: list[str]
    user: NotRequired[str | None]
    context: NotRequired[str | None]


class PersonalizedRanker(MiCRoRankingFields, RunnableSerializable[RankerInput, Ranking]):
    """Rank candidate responses to a prompt by a MiCRo reward personalised for a user.

    ``{"prompt", "candidates", "user"?, "context"?}`` in, a
    :class:`~mom_micro.plugins.ranking.Ranking` out: the candidates best first, each
    with its score and head scores, and the head weights used. A ``user`` or ``context``
    in the input overrides the ranker's defaults. ``batch``, ``abatch``, ``ainvoke``,
    ``stream`` come from the Runnable base; ``record_choice`` feeds a user's pick back.

    Setup:
        .. code-block:: python

            from mom_micro.plugins.langchain import PersonalizedRanker

            ranker = PersonalizedRanker.from_model_dir("my-reward", profiles="profiles.json")

    Example:
        .. code-block:: python

            ranking = ranker.invoke({"prompt": "Explain tides.", "user": "ana",
                                     "candidates": ["The Moon pulls...", "Tides: gravity."]})
            ranking.best.text, ranking.best.score, ranking.head_weights
            ranker.record_choice("ana", ranking.candidates[1], ranking.best)
            ranker.batch([{...}, {...}]); await ranker.ainvoke({...})

    Key params:
        model: the trained :class:`~mom_micro.rewards.MixtureRewardModel`.
        user / context: defaults when the input names neither.
        require_user_or_context: refuse inputs that name neither (and no default).
    """

    def invoke(
        self, input: RankerInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Ranking:
        """Rank ``input["candidates"]`` for ``input["prompt"]``."""
        return self._call_with_config(self._rank_input, input, config, run_type="chain")

    def _rank_input(self, input: RankerInput) -> Ranking:
        if not isinstance(input, dict):
            raise MiCRoRankingError(
                f"PersonalizedRanker takes a dict with 'prompt' and 'candidates', "
                f"not a {type(input).__name__}"
            )
        missing = [key for key in ("prompt", "candidates") if key not in input]
        if missing:
            raise MiCRoRankingError(f"ranker input lacks {', '.join(missing)}")
        return self.rank(
            input["prompt"],
            input["candidates"],
            user=input.get("user"),
            context=input.get("context"),
        )

    def record_choice(
        self,
        user: str,
        chosen: ScoredCandidate | str,
        rejected: ScoredCandidate | str | Sequence[ScoredCandidate | str],
        prompt: str | None = None,
        context: str | None = None,
    ) -> UserProfile:
        """Feed "``user`` chose ``chosen`` over ``rejected``" into their online weights
        (see :func:`~mom_micro.plugins.ranking.record_choice`)."""
        return record_choice(self.model, user, chosen, rejected, prompt=prompt, context=context)
