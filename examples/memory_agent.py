"""A LangChain agent that answers from MoM memory and cites what it used.

The agent (``langchain.agents.create_agent``) has one tool,
:func:`mom_micro.plugins.langchain.memory_retriever_tool`: it searches a
:class:`~mom_micro.plugins.langchain.MoMRetriever` and shows each chunk under
``[n] outline title (document, characters start-end)``, and the agent cites those.

Run (from the repository root)::

    python examples/memory_agent.py                          # README.md, offline
    python examples/memory_agent.py docs/*.md -q "How are the layers fused?"
    python examples/memory_agent.py --model openai:gpt-4o-mini  # a real chat model

Without ``--model`` the chat model is :class:`CitingScriptedModel`, a scripted stand-in
that needs no network or key: it calls the memory tool with the question, then answers
with the best chunk's first sentence and its citation, so the example runs anywhere
and shows what the tool gives the model. ``--model`` takes any
``langchain.chat_models.init_chat_model`` name (its provider package and key needed).
The documents are read by the offline memory reader and embedded with the bundled
MiniLM, in memory (nothing is written).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain.agents import create_agent
from langchain.chat_models import init_chat_model
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.retrievers import BaseRetriever

from mom_micro.memory import read_document
from mom_micro.plugins.langchain import MoMRetriever, memory_retriever_tool

SYSTEM_PROMPT = (
    "Answer the question from the memory tool's results only. After each fact, cite the "
    "result it comes from as [n] with its title and source, as the tool shows them."
)

#: The first result of the tool's output: its header line and its text.
_FIRST_RESULT = re.compile(r"\A\[1\] (?P<citation>[^\n]*)\n(?P<text>.*?)(?:\n\n\[2\] |\Z)", re.S)


class CitingScriptedModel(BaseChatModel):
    """A scripted chat model for running the agent offline: it searches, then cites.

    To a question it answers with a call of the bound tool (``{"query": question}``);
    to the tool's result, with the first result's first sentence followed by its
    citation, ``... [1: title (document, characters start-end)]``. It does not
    generate text: it shows the agent loop and what the memory tool returns.

    Example:
        >>> model = CitingScriptedModel().bind_tools([])
        >>> model.invoke("What is MoM?").tool_calls[0]["args"]
        {'query': 'What is MoM?'}
    """

    tool_name: str = "memory"

    @property
    def _llm_type(self) -> str:
        return "citing-scripted"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> CitingScriptedModel:
        """This model with the first tool's name to call (``memory`` with no tools)."""
        names = [getattr(tool, "name", None) for tool in tools]
        return self.model_copy(update={"tool_name": names[0] if names else self.tool_name})

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        last = messages[-1]
        if isinstance(last, ToolMessage):
            message = AIMessage(content=self._cite(last.text))
        else:
            question = next(m.text for m in reversed(messages) if isinstance(m, HumanMessage))
            call = {"name": self.tool_name, "args": {"query": question}, "id": "call-memory"}
            message = AIMessage(content="", tool_calls=[call])
        return ChatResult(generations=[ChatGeneration(message=message)])

    @staticmethod
    def _cite(tool_output: str) -> str:
        match = _FIRST_RESULT.match(tool_output)
        if match is None:
            return "The memory holds nothing on this question."
        text = " ".join(match["text"].split())
        sentence = re.split(r"(?<=[.!?]) ", text, maxsplit=1)[0]
        return f"{sentence} [1: {match['citation']}]"


def build_agent(retriever: BaseRetriever, model: str | BaseChatModel | None = None) -> Any:
    """The agent: ``model`` (a chat model, an ``init_chat_model`` name, or None for
    :class:`CitingScriptedModel`) with the memory tool over ``retriever``."""
    if model is None:
        model = CitingScriptedModel()
    elif isinstance(model, str):
        model = init_chat_model(model)
    return create_agent(model, [memory_retriever_tool(retriever)], system_prompt=SYSTEM_PROMPT)


def main(argv: Sequence[str] | None = None) -> int:
    """Index the files, ask the agent, print each message of the run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, default=[Path("README.md")])
    parser.add_argument("-q", "--question", default="How are the layers fused?")
    parser.add_argument("--model", help="an init_chat_model name (default: scripted, offline)")
    parser.add_argument("-k", type=int, default=3, help="chunks the tool returns")
    args = parser.parse_args(argv)
    documents = [Document(page_content=read_document(p), id=p.name) for p in args.files]
    retriever = MoMRetriever.from_documents(documents, k=args.k)
    agent = build_agent(retriever, args.model)
    result = agent.invoke({"messages": [{"role": "user", "content": args.question}]})
    for message in result["messages"]:
        message.pretty_print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
