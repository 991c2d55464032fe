"""``BestOfNMiddleware``: best-of-n answers for the user in a LangChain agent
(``langchain.agents.create_agent(model, tools, middleware=[...])``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage
from langgraph.constants import TAG_NOSTREAM
from langgraph.store.base import BaseStore

from mom_micro.plugins.langgraph.runtime import (
    prompt_of,
    ranker_for_store,
    record_choice_for,
    who_is_asking,
)
from mom_micro.plugins.ranking import (
    RANKING_KEY,
    MiCRoRankingError,
    MiCRoRankingFields,
    Ranking,
    ScoredCandidate,
)
from mom_micro.rewards import UserProfile

__all__ = ["TIMING_KEY", "BestOfNMiddleware", "ranking_of"]

#: Where a ranked answer keeps what its step cost, in ms: ``{"generate_ms", "rank_ms"}``
#: (the n model calls, the ranking).
TIMING_KEY = "mom_micro_timing"


def ranking_of(message: BaseMessage) -> Ranking | None:
    """The :class:`~mom_micro.plugins.ranking.Ranking` a best-of-n answer keeps in its
    ``response_metadata``: every candidate best first with its score and head scores,
    and the head weights; ``None`` for a message that was not ranked (``n=1``, a step
    that called tools).

    Example:
        >>> ranking_of(AIMessage("hi")) is None
        True
    """
    kept = message.response_metadata.get(RANKING_KEY)
    return None if kept is None else Ranking.model_validate(kept)


def _answer(response: ModelResponse) -> AIMessage:
    """The model's message in a response (the last ``AIMessage`` of its result)."""
    for message in reversed(response.result):
        if isinstance(message, AIMessage):
            return message
    raise MiCRoRankingError("a model call returned no AIMessage to rank")


class BestOfNMiddleware(AgentMiddleware):
    """Draw ``n`` answers per model call and return the one the MiCRo reward ranks best
    for the user asking.

    Each model call of the agent goes ``n`` times through the handler (concurrently
    with ``asyncio.gather`` in ``ainvoke`` / ``astream``, one after the other in
    ``invoke`` / ``stream``), with ``temperature`` set on the model when given, and the
    candidates' texts are ranked with ``ranker.rank``
    (:func:`~mom_micro.plugins.ranking.rank_texts`: the personalised reward
    ``r(x, y | c, u) = sum_k w_k(x, c) r_k(x, y) + beta_u^T z(x, y)`` of each candidate
    ``y`` for the last human message ``x``, the user ``u`` and the stated context ``c``).
    The user and context come from the agent's runtime context, ``context={"user":
    "ana", "context": "I want brief answers."}`` (a mapping or an object; the keys are
    ``user_key`` / ``context_key``), else the ranker's defaults. With ``styles``, the
    ``i``-th candidate's system message gets ``styles[i % len(styles)]`` appended
    (e.g. "Answer in one short sentence." / "Explain it thoroughly."), so the candidates
    differ in the way users' preferences do even when the model samples little.

    - **The ranking** (every candidate, its score and head scores, the head weights)
      goes in the chosen message's ``response_metadata["mom_micro_ranking"]``
      (:func:`ranking_of` reads it back), so a UI can show the alternatives and record
      the user's pick with :meth:`record_choice`; ``response_metadata["mom_micro_timing"]``
      has the step's cost in ms (``generate_ms`` for the n calls, ``rank_ms``).
    - **Tool steps:** when any candidate calls tools, the first candidate (in the order
      drawn) that calls tools is returned unranked, so each step runs its tools once;
      the answer the user reads is ranked on the step that answers.
    - **Profiles in the agent's store:** with a store (``create_agent(...,
      store=...)``), the user's online profile is read from it
      (:class:`~mom_micro.plugins.langgraph.StoreProfiles`: namespace ``("mom_micro",
      "profiles")``, key the user id), else from the ranker's model.
    - **Streaming:** with ``n > 1`` the candidates' tokens are kept out of
      ``stream_mode="messages"`` (the run is tagged ``nostream``); the chosen answer is
      streamed whole when the step ends. ``stream_mode="updates"`` shows it as usual.
    - ``n=1`` returns the model's own answer untouched; a failing model call is raised.
      The model should sample (a temperature above 0), or the candidates are alike.

    Setup:
        .. code-block:: python

            from langchain.agents import create_agent
            from mom_micro.plugins.langchain import BestOfNMiddleware, PersonalizedRanker

            ranker = PersonalizedRanker.from_model_dir("my-reward")
            agent = create_agent("openai:gpt-4o-mini", tools,
                                 middleware=[BestOfNMiddleware(ranker, n=4, temperature=0.9)])

    Example:
        .. code-block:: python

            result = agent.invoke({"messages": [{"role": "user", "content": "Tides?"}]},
                                  context={"user": "ana", "context": "I want brief answers."})
            ranking = ranking_of(result["messages"][-1])
            best_of_n.record_choice("ana", ranking.prompt, ranking.candidates[1].text,
                                    ranking.best.text, store=agent_store)

    Args:
        ranker: the MiCRo ranker (:class:`~mom_micro.plugins.langchain.PersonalizedRanker`
            or any MiCRo adapter).
        n: candidates per model call (``>= 1``).
        temperature: sampling temperature of the candidates: set on the model when it
            has a ``temperature`` field, else passed in the request's model settings;
            ``None`` keeps the model's own.
        user_key / context_key: the runtime context's names for the user and context.
        require_user: refuse a call whose runtime context names no user.
        styles: instructions cycled over the candidates' system messages (none: every
            candidate is drawn with the agent's own system prompt).
    """

    def __init__(
        self,
        ranker: MiCRoRankingFields,
        n: int = 4,
        temperature: float | None = None,
        user_key: str = "user",
        context_key: str = "context",
        require_user: bool = False,
        styles: Sequence[str] = (),
    ) -> None:
        super().__init__()
        if not isinstance(ranker, MiCRoRankingFields):
            raise MiCRoRankingError(
                f"BestOfNMiddleware needs a MiCRo ranker (PersonalizedRanker), not a "
                f"{type(ranker).__name__}; load one with PersonalizedRanker.from_model_dir(...)"
            )
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise MiCRoRankingError(f"n must be a whole number >= 1, got {n!r}")
        if temperature is not None and not temperature >= 0:
            raise MiCRoRankingError(f"temperature must be >= 0, got {temperature!r}")
        self.ranker = ranker
        self.n = n
        self.temperature = temperature
        self.user_key = user_key
        self.context_key = context_key
        self.require_user = require_user
        if isinstance(styles, str) or not all(isinstance(x, str) and x.strip() for x in styles):
            raise MiCRoRankingError(f"styles must be a list of instructions, got {styles!r}")
        self.styles = list(styles)

    # who asks, and whose profiles ------------------------------------------------------
    def _who(self, request: ModelRequest) -> tuple[str | None, str | None]:
        runtime = request.runtime
        user, context = who_is_asking(
            getattr(runtime, "context", None), self.user_key, self.context_key
        )
        if self.require_user and user is None:
            raise MiCRoRankingError(
                f"BestOfNMiddleware(require_user=True) found no {self.user_key!r} in the "
                f"agent's runtime context; call the agent with context={{{self.user_key!r}: "
                "'<user id>'}"
            )
        return user, context

    def record_choice(
        self,
        user: str,
        prompt: str,
        chosen: ScoredCandidate | str,
        rejected: ScoredCandidate | str | Sequence[ScoredCandidate | str],
        store: BaseStore | None = None,
        context: str | None = None,
    ) -> UserProfile:
        """Record "``user`` chose ``chosen`` over ``rejected``" (one choice per rejected
        candidate) into their profile in ``store`` (the agent's store), else in the
        ranker's model's profiles; the next answers are ranked with it.

        Example:
            .. code-block:: python

                ranking = ranking_of(result["messages"][-1])
                others = [c.text for c in ranking.candidates if c.text != picked]
                best_of_n.record_choice("ana", ranking.prompt, picked, others, store=store)
        """
        return record_choice_for(self.ranker, user, prompt, chosen, rejected, store, context)

    # drawing and choosing --------------------------------------------------------------
    def _sampling(self, request: ModelRequest) -> list[ModelRequest]:
        """The ``n`` requests the candidates are drawn with: the temperature set, the
        runs kept out of the messages stream, the styles cycled over the system message."""
        model = request.model
        update: dict[str, Any] = {"tags": [*(model.tags or []), TAG_NOSTREAM]}
        settings = request.model_settings
        if self.temperature is not None:
            if "temperature" in type(model).model_fields:
                update["temperature"] = self.temperature
            else:
                settings = {**settings, "temperature": self.temperature}
        sampling = request.override(model=model.model_copy(update=update), model_settings=settings)
        if not self.styles:
            return [sampling] * self.n
        base = request.system_prompt
        return [
            sampling.override(system_message=SystemMessage(f"{base}\n\n{style}" if base else style))
            for style in (self.styles[i % len(self.styles)] for i in range(self.n))
        ]

    def _choose(
        self,
        request: ModelRequest,
        who: tuple[str | None, str | None],
        drawn: Sequence[ModelResponse],
        generate_s: float,
    ) -> ModelResponse:
        began = time.perf_counter()
        responses: list[ModelResponse] = list(drawn)
        answers = [_answer(r) for r in responses]
        for response, answer in zip(responses, answers, strict=True):
            if answer.tool_calls:
                return response
        user, context = who
        store = getattr(request.runtime, "store", None)
        ranking = ranker_for_store(self.ranker, store).rank(
            prompt_of(request.messages), [a.text for a in answers], user=user, context=context
        )
        best = responses[ranking.best.index]
        answer = answers[ranking.best.index]
        timing = {"generate_ms": 1e3 * generate_s, "rank_ms": 1e3 * (time.perf_counter() - began)}
        metadata = {
            **answer.response_metadata,
            RANKING_KEY: ranking.model_dump(),
            TIMING_KEY: timing,
        }
        ranked = answer.model_copy(update={"response_metadata": metadata})
        result = [ranked if m is answer else m for m in best.result]
        return ModelResponse(result=result, structured_response=best.structured_response)

    def wrap_model_call(
        self, request: ModelRequest, handler: Callable[[ModelRequest], ModelResponse]
    ) -> ModelResponse:
        """Draw ``n`` candidates one after the other and return the best for the user."""
        if self.n == 1:
            return handler(request)
        who = self._who(request)
        began = time.perf_counter()
        drawn = [handler(sampling) for sampling in self._sampling(request)]
        return self._choose(request, who, drawn, time.perf_counter() - began)

    async def awrap_model_call(
        self,
        request: ModelRequest,
        handler: Callable[[ModelRequest], Awaitable[ModelResponse]],
    ) -> ModelResponse:
        """Draw ``n`` candidates concurrently and return the best for the user (ranked
        in a worker thread, so the event loop keeps serving)."""
        if self.n == 1:
            return await handler(request)
        who = self._who(request)
        began = time.perf_counter()
        drawn = await asyncio.gather(*(handler(sampling) for sampling in self._sampling(request)))
        generate_s = time.perf_counter() - began
        return await asyncio.to_thread(self._choose, request, who, list(drawn), generate_s)
