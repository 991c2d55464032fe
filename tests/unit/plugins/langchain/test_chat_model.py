"""LocalChatModel: roles, stop sequences and errors, with a scripted LM."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.prompts import ChatPromptTemplate

from mom_micro.models.generation import LocalCausalLM
from mom_micro.plugins.langchain import LocalChatModel


@dataclass
class ScriptedLM(LocalCausalLM):
    """Records what it is asked and answers from a script."""

    replies: list[str] = field(default_factory=list)
    calls: list[tuple] = field(default_factory=list)

    def chat(self, messages, temperature=0.0, max_new_tokens=None):
        self.calls.append((list(messages), temperature, max_new_tokens))
        return self.replies.pop(0)


def test_messages_become_chat_turns_with_the_models_settings():
    lm = ScriptedLM(replies=["  Blue. STOP more  "])
    llm = LocalChatModel(lm=lm, temperature=0.3, max_new_tokens=12)
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Be brief."), ("human", "{q}"), ("ai", "Which?"), ("human", "The sky.")]
    )
    reply = llm.invoke(prompt.invoke({"q": "A colour?"}), stop=["STOP"])
    assert reply.content == "Blue. "
    turns, temperature, max_new = lm.calls[0]
    assert [t["role"] for t in turns] == ["system", "user", "assistant", "user"]
    assert turns[1]["content"] == "A colour?" and (temperature, max_new) == (0.3, 12)


def test_unsupported_messages_are_refused_by_name():
    llm = LocalChatModel(lm=ScriptedLM(replies=["x"]))
    with pytest.raises(ValueError, match="tool"):
        llm.invoke([HumanMessage("hi"), ToolMessage("42", tool_call_id="1")])
    with pytest.raises(ValueError, match="text messages only"):
        llm.invoke([HumanMessage(content=[{"type": "image_url", "image_url": {"url": "x"}}])])
