"""What a LangGraph run tells a MiCRo ranker: who is asking (the runtime context), what
they asked (the last human message), and where their profile is (the runtime store).

The agent middleware (:class:`~mom_micro.plugins.langchain.BestOfNMiddleware`) and the
graph node (:class:`~mom_micro.plugins.langgraph.RankCandidates`) both read a run this way.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from langchain_core.messages import BaseMessage, HumanMessage
from langgraph.store.base import BaseStore

from mom_micro.plugins.ranking import (
    MiCRoRankingError,
    MiCRoRankingFields,
    ScoredCandidate,
    record_choice,
)
from mom_micro.rewards import UserProfile

from .profiles import StoreProfiles

__all__ = ["prompt_of", "ranker_for_store", "record_choice_for", "who_is_asking"]

RankerT = TypeVar("RankerT", bound=MiCRoRankingFields)


def who_is_asking(
    context: Any, user_key: str = "user", context_key: str = "context"
) -> tuple[str | None, str | None]:
    """``(user, stated context)`` from a run's runtime context: a mapping
    (``{"user": "ana", "context": "I want brief answers."}``) or an object with those
    attributes (a dataclass, a pydantic model); ``None`` for what it does not name.

    Example:
        >>> who_is_asking({"user": "ana"})
        ('ana', None)
    """

    def field(key: str) -> str | None:
        value = context.get(key) if isinstance(context, Mapping) else getattr(context, key, None)
        if value is not None and not isinstance(value, str):
            raise MiCRoRankingError(
                f"the runtime context's {key!r} must be a string, not {type(value).__name__}"
            )
        return value

    return (None, None) if context is None else (field(user_key), field(context_key))


def prompt_of(messages: Sequence[BaseMessage]) -> str:
    """What the candidates answer: the last human message (an agent's later steps end
    in tool results), else the last message's text.

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> prompt_of([HumanMessage("Tides?"), AIMessage("Gravity.")])
        'Tides?'
    """
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return message.text
    return messages[-1].text if messages else ""


def ranker_for_store(ranker: RankerT, store: BaseStore | None) -> RankerT:
    """``ranker`` reading and recording profiles in ``store`` (a run's LangGraph store:
    :class:`StoreProfiles`); ``ranker`` itself without a store. The copy shares the
    model's weights.

    Example:
        >>> ranker_for_store(ranker, None) is ranker  # doctest: +SKIP
        True
    """
    if store is None:
        return ranker
    model = copy.copy(ranker.model)
    model.profiles = StoreProfiles.for_model(store, ranker.model)
    return ranker.model_copy(update={"model": model})


def record_choice_for(
    ranker: MiCRoRankingFields,
    user: str,
    prompt: str,
    chosen: ScoredCandidate | str,
    rejected: ScoredCandidate | str | Sequence[ScoredCandidate | str],
    store: BaseStore | None = None,
    context: str | None = None,
) -> UserProfile:
    """Record "``user`` chose ``chosen`` over ``rejected``" (one choice per rejected
    candidate) into their profile in ``store`` (a run's LangGraph store), else in the
    ranker's model's profiles (:func:`~mom_micro.plugins.ranking.record_choice`).

    Example:
        >>> record_choice_for(ranker, "ana", "Tides?", "Gravity.", "The Moon pulls...",
        ...                   store=store).updates  # doctest: +SKIP
        1
    """
    model = ranker_for_store(ranker, store).model
    return record_choice(model, user, chosen, rejected, prompt=prompt, context=context)
