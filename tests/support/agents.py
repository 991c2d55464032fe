"""A scripted tool-calling LLM for the LlamaIndex agent tests: the response generator of
LlamaIndex's own ``MockFunctionCallingLLM`` that searches memory, then answers.

While tools are offered and the conversation holds no tool result, every response calls
the tool ``tool`` with the user's question; after it (or with no tools: a query engine),
the responses are ``answers`` in turn (so the ``n`` candidates of a best-of-n step differ). It counts its calls, so the tests know how often
the model was asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import ChatMessage, MessageRole, ToolCallBlock
from llama_index.core.llms.mock import MockFunctionCallingLLM


class SearchThenAnswer:
    """``response_generator`` of ``MockFunctionCallingLLM``: a tool call, then answers."""

    def __init__(self, tool: str, answers: Sequence[str]) -> None:
        self.tool = tool
        self.answers = list(answers)
        self.calls = 0
        self.answered = 0

    def __call__(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        self.calls += 1
        searched = any(message.role == MessageRole.TOOL for message in messages)
        if kwargs.get("tools") and not searched:
            question = next(m.content for m in reversed(messages) if m.role == MessageRole.USER)
            call = ToolCallBlock(
                tool_call_id=f"call-{self.calls}",
                tool_name=self.tool,
                tool_kwargs={"query": question},
            )
            return ChatMessage(role=MessageRole.ASSISTANT, blocks=[call])
        answer = self.answers[self.answered % len(self.answers)]
        self.answered += 1
        return ChatMessage(role=MessageRole.ASSISTANT, content=answer)

    def llm(self) -> MockFunctionCallingLLM:
        """A chat model that responds by this script."""
        return MockFunctionCallingLLM(response_generator=self, is_chat_model=True)
