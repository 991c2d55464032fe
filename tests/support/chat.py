"""A scripted tool-calling chat model for the LangChain agent tests (``create_agent``).

While tools are bound and the conversation holds no tool result, every response calls
the first tool with the last human message as ``query``; after it (or with no tools) the
responses are ``answers`` in turn, so the ``n`` candidates of a best-of-n step differ.
Copies of one model (the middleware copies it to set the temperature) share its ``log``
of calls, so a test sees how often the model was asked and with which temperature.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field


class ScriptedChatModel(BaseChatModel):
    """A tool call first (when tools are bound), then ``answers`` in turn."""

    answers: list[str]
    tool: str | None = None
    temperature: float = 0.0
    fail: bool = False
    #: answer with the system message instead (shows what each candidate was asked)
    echo_system: bool = False
    #: ``(kind, temperature)`` of every call, shared by copies: kind "tool" or "answer".
    log: list[tuple[str, float]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:
        names = [getattr(tool, "name", None) for tool in tools]
        return self.model_copy(update={"tool": names[0] if names else None})

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.fail:
            raise RuntimeError("the scripted model failed")
        searched = any(isinstance(m, ToolMessage) for m in messages)
        if self.tool is not None and not searched:
            question = next(m.text for m in reversed(messages) if isinstance(m, HumanMessage))
            self.log.append(("tool", self.temperature))
            call_id = f"call-{len(self.log)}"
            message = AIMessage(
                "", tool_calls=[{"name": self.tool, "args": {"query": question}, "id": call_id}]
            )
        else:
            answered = sum(kind == "answer" for kind, _ in self.log)
            self.log.append(("answer", self.temperature))
            system = next((m.text for m in messages if isinstance(m, SystemMessage)), "")
            text = system if self.echo_system else self.answers[answered % len(self.answers)]
            message = AIMessage(text)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def calls(self, kind: str) -> int:
        """How many calls of ``kind`` ("tool" or "answer") the model answered."""
        return sum(k == kind for k, _ in self.log)
