"""Best-of-n answers for a user in LlamaIndex: ``BestOfNLLM`` wraps any LLM (agents:
``FunctionAgent``, ``AgentWorkflow``), ``BestOfNQueryEngine`` retrieves once and
synthesises ``n`` answers (query engines). Both rank with the MiCRo adapters' one
ranking, :func:`~mom_micro.plugins.ranking.rank_texts`."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.base.response.schema import RESPONSE_TYPE
from llama_index.core.bridge.pydantic import BaseModel, Field
from llama_index.core.llms import LLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.query_engine import CustomQueryEngine
from llama_index.core.response_synthesizers import BaseSynthesizer, get_response_synthesizer
from llama_index.core.tools.types import BaseTool

from mom_micro.plugins.ranking import RANKING_KEY, MiCRoRankingError, MiCRoRankingFields, Ranking

__all__ = ["RANKING_KEY", "BestOfNLLM", "BestOfNQueryEngine", "ranking_of"]


def _with_ranking(raw: Any, ranking: Ranking) -> dict[str, Any]:
    """The chosen response's ``raw`` (a dict, a pydantic model dumped, or kept under
    ``"raw"``) with the ranking added under :data:`RANKING_KEY`."""
    if isinstance(raw, BaseModel):
        raw = raw.model_dump()
    base = dict(raw) if isinstance(raw, Mapping) else ({} if raw is None else {"raw": raw})
    return {**base, RANKING_KEY: ranking.model_dump()}


def ranking_of(response: Any) -> Ranking | None:
    """The :class:`Ranking` kept in a response: in the ``raw`` of a :class:`BestOfNLLM`'s
    ``ChatResponse`` / ``CompletionResponse`` or an agent's ``AgentOutput``, in the
    ``metadata`` of a :class:`BestOfNQueryEngine`'s ``Response``; None when the response
    was not ranked (``n=1``, or a step that called tools).

    Example:
        >>> from llama_index.core.base.llms.types import CompletionResponse
        >>> ranking_of(CompletionResponse(text="hi")) is None
        True
    """
    for attribute in ("raw", "metadata"):
        kept = getattr(response, attribute, None)
        if isinstance(kept, Mapping) and RANKING_KEY in kept:
            return Ranking.model_validate(kept[RANKING_KEY])
    return None


def _prompt_of(messages: Sequence[ChatMessage]) -> str:
    """What the candidates answer: the last user message (an agent's later steps end in
    tool results), else the last message."""
    for message in reversed(messages):
        if message.role == MessageRole.USER:
            return message.content or ""
    return (messages[-1].content or "") if messages else ""


async def _once_async(response: Any) -> Any:
    yield response


class BestOfNLLM(FunctionCallingLLM):
    """Draw ``n`` responses from ``llm`` and return the one the MiCRo reward ranks best
    for the user.

    Each call (``chat``, ``complete``, their async and streaming forms) draws ``n``
    candidates (concurrently in ``achat`` / ``acomplete``) and ranks their texts with
    ``ranker.rank`` (:func:`~mom_micro.plugins.ranking.rank_texts`: the personalised
    reward ``r(x, y | c, u) = sum_k w_k(x, c) r_k(x, y) + beta_u^T z(x, y)`` of each
    candidate ``y`` for the prompt ``x``, the ranker's ``user`` ``u`` and ``context``
    ``c``). The prompt ``x`` is the last user message of a chat, or the completion
    prompt (in a query engine that is the templated prompt with the context: there
    :class:`BestOfNQueryEngine` ranks for the query itself). The chosen response keeps its own ``raw`` with the whole ranking (every
    candidate, its score and head scores, the head weights) added under
    :data:`RANKING_KEY`; :func:`ranking_of` reads it back.

    Tool steps: when any candidate calls tools, the first such candidate is returned
    unranked, so the agent runs its tools once per step and the user's answers are
    ranked on the step that answers. Streaming returns the chosen response as one chunk
    (the candidates must be complete to be ranked). ``n=1`` passes every call through
    to ``llm`` untouched, streaming included. A failing call of ``llm`` is raised.
    ``llm`` should sample (a temperature above 0), or the ``n`` candidates are alike.

    Setup:
        .. code-block:: python

            from mom_micro.plugins.llama_index import BestOfNLLM, MiCRoNodePostprocessor

            ranker = MiCRoNodePostprocessor.from_model_dir("my-reward", profiles="p.json")
            llm = BestOfNLLM(llm=OpenAI(model="gpt-4o-mini", temperature=0.9),
                             ranker=ranker, n=4)

    Example:
        .. code-block:: python

            from llama_index.core.agent.workflow import FunctionAgent

            agent = FunctionAgent(tools=[memory_tool], llm=llm.for_user("ana"))
            output = await agent.run("How do dogs behave?")
            ranking_of(output).candidates   # the alternatives, best first
            engine = index.as_query_engine(llm=llm.for_user(context="I want brief answers."))

    Key params:
        llm: the LLM the candidates come from (a ``FunctionCallingLLM`` for agents).
        ranker: any MiCRo adapter (:class:`~mom_micro.plugins.ranking.MiCRoRankingFields`: a
            ``MiCRoNodePostprocessor``, or the settings themselves): the model and the
            default user / context.
        n: candidates per call.
    """

    llm: LLM = Field(description="The LLM the candidate responses come from.")
    ranker: MiCRoRankingFields = Field(description="Ranks the candidates for the user.")
    n: int = Field(default=4, ge=1, description="Candidate responses drawn per call.")

    @classmethod
    def class_name(cls) -> str:
        """The name LlamaIndex serialises this component under."""
        return "BestOfNLLM"

    @property
    def metadata(self) -> LLMMetadata:
        """The wrapped LLM's metadata (context window, chat and function calling)."""
        return self.llm.metadata

    def for_user(self, user: str | None = None, context: str | None = None) -> BestOfNLLM:
        """A copy that ranks for ``user`` and/or ``context`` (the LLM and model are shared)."""
        return self.model_copy(update={"ranker": self.ranker.for_user(user, context)})

    # -- choosing -------------------------------------------------------------------------
    def _function_llm(self) -> FunctionCallingLLM:
        if not isinstance(self.llm, FunctionCallingLLM):
            raise MiCRoRankingError(
                f"BestOfNLLM wraps a {type(self.llm).__name__}, which cannot call tools; "
                "an agent needs a FunctionCallingLLM"
            )
        return self.llm

    def _calls_tools(self, response: ChatResponse) -> bool:
        return isinstance(self.llm, FunctionCallingLLM) and bool(
            self.llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
        )

    def _choose_chat(
        self, messages: Sequence[ChatMessage], candidates: Sequence[ChatResponse]
    ) -> ChatResponse:
        for candidate in candidates:
            if self._calls_tools(candidate):
                return candidate
        texts = [candidate.message.content or "" for candidate in candidates]
        ranking = self.ranker.rank(_prompt_of(messages), texts)
        best = candidates[ranking.best.index]
        return best.model_copy(update={"raw": _with_ranking(best.raw, ranking)})

    def _choose_completion(
        self, prompt: str, candidates: Sequence[CompletionResponse]
    ) -> CompletionResponse:
        ranking = self.ranker.rank(prompt, [candidate.text for candidate in candidates])
        best = candidates[ranking.best.index]
        return best.model_copy(update={"raw": _with_ranking(best.raw, ranking)})

    def _best_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._choose_chat(
            messages, [self.llm.chat(messages, **kwargs) for _ in range(self.n)]
        )

    async def _abest_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        candidates = await asyncio.gather(
            *(self.llm.achat(messages, **kwargs) for _ in range(self.n))
        )
        return self._choose_chat(messages, candidates)

    def _best_completion(self, prompt: str, formatted: bool, **kwargs: Any) -> CompletionResponse:
        candidates = [
            self.llm.complete(prompt, formatted=formatted, **kwargs) for _ in range(self.n)
        ]
        return self._choose_completion(prompt, candidates)

    async def _abest_completion(
        self, prompt: str, formatted: bool, **kwargs: Any
    ) -> CompletionResponse:
        candidates = await asyncio.gather(
            *(self.llm.acomplete(prompt, formatted=formatted, **kwargs) for _ in range(self.n))
        )
        return self._choose_completion(prompt, candidates)

    @staticmethod
    def _as_chunk(response: ChatResponse) -> ChatResponse:
        return response.model_copy(update={"delta": response.message.content or ""})

    # -- LLM ------------------------------------------------------------------------------
    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """The best of ``n`` chat responses (or the first that calls tools)."""
        if self.n == 1:
            return self.llm.chat(messages, **kwargs)
        return self._best_chat(messages, **kwargs)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """:meth:`chat`, the ``n`` candidates drawn concurrently."""
        if self.n == 1:
            return await self.llm.achat(messages, **kwargs)
        return await self._abest_chat(messages, **kwargs)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """:meth:`chat` as a stream of one chunk (``n=1``: the LLM's own stream)."""
        if self.n == 1:
            return self.llm.stream_chat(messages, **kwargs)
        return iter([self._as_chunk(self._best_chat(messages, **kwargs))])

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        """:meth:`achat` as a stream of one chunk (``n=1``: the LLM's own stream)."""
        if self.n == 1:
            return await self.llm.astream_chat(messages, **kwargs)
        return _once_async(self._as_chunk(await self._abest_chat(messages, **kwargs)))

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """The best of ``n`` completions of ``prompt``."""
        if self.n == 1:
            return self.llm.complete(prompt, formatted=formatted, **kwargs)
        return self._best_completion(prompt, formatted, **kwargs)

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        """:meth:`complete`, the ``n`` candidates drawn concurrently."""
        if self.n == 1:
            return await self.llm.acomplete(prompt, formatted=formatted, **kwargs)
        return await self._abest_completion(prompt, formatted, **kwargs)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        """:meth:`complete` as a stream of one chunk (``n=1``: the LLM's own stream)."""
        if self.n == 1:
            return self.llm.stream_complete(prompt, formatted=formatted, **kwargs)
        best = self._best_completion(prompt, formatted, **kwargs)
        return iter([best.model_copy(update={"delta": best.text})])

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        """:meth:`acomplete` as a stream of one chunk (``n=1``: the LLM's own stream)."""
        if self.n == 1:
            return await self.llm.astream_complete(prompt, formatted=formatted, **kwargs)
        best = await self._abest_completion(prompt, formatted, **kwargs)
        return _once_async(best.model_copy(update={"delta": best.text}))

    # -- FunctionCallingLLM: the wrapped LLM's own tool format ----------------------------
    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        return self._function_llm()._prepare_chat_with_tools_compat(
            tools,
            user_msg=user_msg,
            chat_history=chat_history,
            verbose=verbose,
            allow_parallel_tool_calls=allow_parallel_tool_calls,
            tool_required=tool_required,
            **kwargs,
        )

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        return self._function_llm()._validate_chat_with_tools_response(
            response, tools, allow_parallel_tool_calls=allow_parallel_tool_calls, **kwargs
        )

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        """The tool calls of ``response``, as the wrapped LLM reads them."""
        return self._function_llm().get_tool_calls_from_response(
            response, error_on_no_tool_call=error_on_no_tool_call, **kwargs
        )


class BestOfNQueryEngine(CustomQueryEngine):
    """Retrieve once, synthesise ``n`` answers, return the one the MiCRo reward ranks best
    for the user.

    The answers are ranked for the query (``ranker.rank(query, answers)``, the reward of
    :class:`BestOfNLLM`); the chosen ``Response`` keeps its source nodes and adds the
    ranking to its ``metadata`` under :data:`RANKING_KEY` (:func:`ranking_of`). The
    synthesizer's LLM should sample (a temperature above 0). ``n=1`` returns the
    synthesizer's own response.

    Example:
        .. code-block:: python

            from mom_micro.plugins.llama_index import BestOfNQueryEngine

            engine = BestOfNQueryEngine.from_args(
                index.as_retriever(similarity_top_k=3), ranker=ranker, n=4, llm=llm)
            response = engine.for_user("ana").query("How do dogs behave?")
            str(response), ranking_of(response).candidates
    """

    retriever: BaseRetriever = Field(description="Finds the context, once per query.")
    synthesizer: BaseSynthesizer = Field(description="Writes each candidate answer.")
    ranker: MiCRoRankingFields = Field(description="Ranks the candidates for the user.")
    n: int = Field(default=4, ge=1, description="Candidate answers per query.")

    @classmethod
    def from_args(
        cls,
        retriever: BaseRetriever,
        ranker: MiCRoRankingFields,
        n: int = 4,
        llm: LLM | None = None,
        **synthesizer_kwargs: Any,
    ) -> BestOfNQueryEngine:
        """An engine whose answers ``get_response_synthesizer(llm=llm, ...)`` writes."""
        synthesizer = get_response_synthesizer(llm=llm, **synthesizer_kwargs)
        return cls(retriever=retriever, synthesizer=synthesizer, ranker=ranker, n=n)

    def for_user(self, user: str | None = None, context: str | None = None) -> BestOfNQueryEngine:
        """A copy that ranks for ``user`` and/or ``context``."""
        return self.model_copy(update={"ranker": self.ranker.for_user(user, context)})

    def _choose(self, query: str, responses: Sequence[RESPONSE_TYPE]) -> RESPONSE_TYPE:
        if self.n == 1:
            return responses[0]
        ranking = self.ranker.rank(query, [str(response) for response in responses])
        best = responses[ranking.best.index]
        best.metadata = {**(best.metadata or {}), RANKING_KEY: ranking.model_dump()}
        return best

    def custom_query(self, query_str: str) -> RESPONSE_TYPE:
        """The best of ``n`` answers to ``query_str`` over one retrieval."""
        nodes = self.retriever.retrieve(query_str)
        answers = [self.synthesizer.synthesize(query_str, nodes) for _ in range(self.n)]
        return self._choose(query_str, answers)

    async def acustom_query(self, query_str: str) -> RESPONSE_TYPE:
        """:meth:`custom_query`, the ``n`` answers written concurrently."""
        nodes = await self.retriever.aretrieve(query_str)
        answers = await asyncio.gather(
            *(self.synthesizer.asynthesize(query_str, nodes) for _ in range(self.n))
        )
        return self._choose(query_str, answers)
