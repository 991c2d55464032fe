"""The memory-RAG chain: memory retrieval, n candidate answers, the best one for a user.

.. code-block:: text

    {"question", "user"?, "context"?}
      -> retriever (MoMRetriever: chunks carrying their outline titles; any retriever works)
      -> prompt with the memory ("[1] <outline title>\\n<chunk>" ...)
      -> chat model, n samples (optionally one per answer style) -> distinct candidates
      -> PersonalizedRanker (MiCRo, routed by question, context and user)
      -> {"answer", "ranking", "documents", ...}
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from operator import itemgetter
from typing import Any

from langchain_core.documents import Document
from langchain_core.language_models import BaseLanguageModel
from langchain_core.messages import BaseMessage, HumanMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompt_values import ChatPromptValue, PromptValue
from langchain_core.prompts import BasePromptTemplate, ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import (
    Runnable,
    RunnableConfig,
    RunnableLambda,
    RunnablePassthrough,
    RunnableSerializable,
)
from pydantic import ConfigDict, Field
from typing_extensions import NotRequired, TypedDict

from mom_micro.plugins.langchain.ranker import PersonalizedRanker
from mom_micro.plugins.ranking import MiCRoRankingError, Ranking, ScoredCandidate
from mom_micro.rewards import MixtureRewardModel, UserProfile

__all__ = [
    "DEFAULT_PROMPT",
    "MemoryRAGChain",
    "MemoryRAGInput",
    "MemoryRAGOutput",
    "format_memory",
    "memory_rag_chain",
]

DEFAULT_PROMPT = ChatPromptTemplate.from_messages(
    [
        (
            "system",
            "Answer the question from the document memory below. Each entry is a passage under "
            "its outline title. Use only the memory; say so if it does not hold the answer.\n\n"
            "Memory:\n{memory}",
        ),
        ("human", "{question}"),
    ]
)


class MemoryRAGInput(TypedDict):
    """Input of the memory-RAG chain (a plain string is taken as the question)."""

    question: str
    user: NotRequired[str | None]
    context: NotRequired[str | None]


class MemoryRAGOutput(TypedDict):
    """Output of the memory-RAG chain."""

    question: str
    user: str | None
    context: str | None
    documents: list[Document]
    answer: str
    ranking: Ranking


def format_memory(documents: Sequence[Document]) -> str:
    """The retrieved memory as prompt text: ``[i] <title>`` then the chunk, per document.

    The title is ``metadata["title"]`` (the outline item :class:`MoMRetriever` sets);
    documents without one show only their text.

    Example:
        >>> print(format_memory([Document("Cats purr.", metadata={"title": "Cats"})]))
        [1] Cats
        Cats purr.
    """
    entries = []
    for i, doc in enumerate(documents, start=1):
        title = doc.metadata.get("title")
        head = f"[{i}] {title}" if title else f"[{i}]"
        entries.append(f"{head}\n{doc.page_content}")
    return "\n\n".join(entries)


def _as_input(value: MemoryRAGInput | str) -> dict[str, Any]:
    if isinstance(value, str):
        return {"question": value, "user": None, "context": None}
    if not isinstance(value, dict) or not isinstance(value.get("question"), str):
        raise MiCRoRankingError(
            "the memory-RAG chain takes a question string or a dict "
            "with 'question' (and optional 'user', 'context')"
        )
    return {"user": None, "context": None, **value}


def _distinct(texts: Sequence[str]) -> list[str]:
    seen: dict[str, None] = {}
    for text in texts:
        text = text.strip()
        if text:
            seen.setdefault(text, None)
    return list(seen)


def _with_style(prompt: PromptValue, style: str) -> PromptValue:
    """``prompt`` with ``style`` (an answer instruction) added to its last human turn."""
    messages: list[BaseMessage] = prompt.to_messages()
    last = messages[-1] if messages else None
    if isinstance(last, HumanMessage) and isinstance(last.content, str):
        messages[-1] = last.model_copy(update={"content": f"{last.content}\n\n{style}"})
    else:
        messages.append(HumanMessage(style))
    return ChatPromptValue(messages=messages)


def _sampler(
    llm: Runnable[Any, Any], n: int, styles: Sequence[str] | None
) -> Runnable[PromptValue, list[str]]:
    """The ``n`` calls of ``llm`` on one prompt (the i-th with ``styles[i % len(styles)]`` added),
    the distinct non-empty answers in order."""
    generate = llm | StrOutputParser()

    def prompts(prompt: PromptValue) -> list[PromptValue]:
        if not styles:
            return [prompt] * n
        return [_with_style(prompt, styles[i % len(styles)]) for i in range(n)]

    def sample(prompt: PromptValue, config: RunnableConfig) -> list[str]:
        return _distinct(generate.batch(prompts(prompt), config))

    async def asample(prompt: PromptValue, config: RunnableConfig) -> list[str]:
        return _distinct(await generate.abatch(prompts(prompt), config))

    return RunnableLambda(sample, afunc=asample, name="sample_answers")


def _ranker_input(state: dict[str, Any]) -> dict[str, Any]:
    return {
        "prompt": state["question"],
        "candidates": state["candidates"],
        "user": state["user"],
        "context": state["context"],
    }


def _output(state: dict[str, Any]) -> MemoryRAGOutput:
    ranking: Ranking = state["ranking"]
    return MemoryRAGOutput(
        question=state["question"],
        user=state["user"],
        context=state["context"],
        documents=state["documents"],
        answer=ranking.best.text,
        ranking=ranking,
    )


class MemoryRAGChain(RunnableSerializable[MemoryRAGInput | str, MemoryRAGOutput]):
    """Memory RAG with personalised best-of-n answers (build it with :func:`memory_rag_chain`).

    ``invoke`` / ``ainvoke`` / ``batch`` / ``stream`` run :attr:`chain`, the LCEL
    sequence; :meth:`record_choice` feeds a user's pick back into their routing.

    Key params:
        chain: the LCEL sequence (retrieval, prompt, n samples, ranking).
        ranker: the :class:`PersonalizedRanker` that picks the answer.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    chain: Runnable[Any, MemoryRAGOutput] = Field(description="The LCEL sequence run.")
    ranker: PersonalizedRanker = Field(description="Ranks the candidate answers.")

    def invoke(
        self, input: MemoryRAGInput | str, config: RunnableConfig | None = None, **kwargs: Any
    ) -> MemoryRAGOutput:
        """Answer ``input`` (a question, or ``{"question", "user", "context"}``)."""
        return self.chain.invoke(input, config, **kwargs)

    async def ainvoke(
        self, input: MemoryRAGInput | str, config: RunnableConfig | None = None, **kwargs: Any
    ) -> MemoryRAGOutput:
        """Async :meth:`invoke`."""
        return await self.chain.ainvoke(input, config, **kwargs)

    def stream(
        self, input: MemoryRAGInput | str, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[MemoryRAGOutput]:
        """Stream :attr:`chain` (one final output: ranking needs every answer)."""
        yield from self.chain.stream(input, config, **kwargs)

    def record_choice(
        self,
        user: str,
        chosen: ScoredCandidate | str,
        rejected: ScoredCandidate | str | Sequence[ScoredCandidate | str],
        prompt: str | None = None,
        context: str | None = None,
    ) -> UserProfile:
        """Feed "``user`` chose ``chosen`` over ``rejected``" (candidates of an output's
        ``ranking``; plain strings need ``prompt=``, the question) into their routing."""
        return self.ranker.record_choice(user, chosen, rejected, prompt=prompt, context=context)


def memory_rag_chain(
    retriever: BaseRetriever | Runnable[str, list[Document]],
    llm: BaseLanguageModel | Runnable[Any, Any],
    ranker: PersonalizedRanker | MixtureRewardModel,
    n: int = 4,
    prompt: BasePromptTemplate | None = None,
    styles: Sequence[str] | None = None,
) -> MemoryRAGChain:
    """Build the memory-RAG chain (see the module docstring).

    Args:
        retriever: any LangChain retriever; with :class:`MoMRetriever` each chunk is shown
            under its outline title.
        llm: any LangChain chat model or LLM; it is called ``n`` times per question
            (through ``batch``, so ``max_concurrency`` in the config applies). Sample with
            a temperature > 0 to get different answers; duplicates are ranked once.
        ranker: a :class:`PersonalizedRanker`, or a model to wrap in one.
        n: number of candidate answers sampled.
        prompt: a prompt with ``{memory}`` and ``{question}`` (default :data:`DEFAULT_PROMPT`).
        styles: answer instructions cycled over the n samples (e.g. ``["Answer in one
            sentence.", "Explain step by step."]``), added to the question, so that the
            candidates differ in the ways users' preferences do; ``None`` samples n times
            from the same prompt.

    Example:
        .. code-block:: python

            chain = memory_rag_chain(MoMRetriever.from_persist_dir("./idx"), chat_model,
                                     PersonalizedRanker.from_model_dir("my-reward"), n=4)
            out = chain.invoke({"question": "What do cats do?", "user": "ana"})
            out["answer"], [(c.text, c.score) for c in out["ranking"].candidates]
            chain.record_choice("ana", out["ranking"].candidates[1], out["ranking"].best)
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if styles is not None and (
        isinstance(styles, str)
        or not all(isinstance(style, str) and style.strip() for style in styles)
        or not styles
    ):
        raise ValueError("styles must be a non-empty list of non-empty strings")
    if isinstance(ranker, MixtureRewardModel):
        ranker = PersonalizedRanker(model=ranker)
    prompt = prompt or DEFAULT_PROMPT
    missing = {"memory", "question"} - set(prompt.input_variables)
    if missing:
        raise ValueError(
            f"the prompt must take {{memory}} and {{question}}; lacks {sorted(missing)}"
        )
    chain = (
        RunnableLambda(_as_input, name="question")
        | RunnablePassthrough.assign(documents=itemgetter("question") | retriever)
        | RunnablePassthrough.assign(memory=lambda state: format_memory(state["documents"]))
        | RunnablePassthrough.assign(candidates=prompt | _sampler(llm, n, styles))
        | RunnablePassthrough.assign(ranking=RunnableLambda(_ranker_input) | ranker)
        | RunnableLambda(_output, name="answer")
    )
    return MemoryRAGChain(chain=chain, ranker=ranker)
