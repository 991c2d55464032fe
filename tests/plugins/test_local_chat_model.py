"""LocalChatModel: the offline LM as a LangChain chat model (roles, stop, errors; the
real SmolLM2 gives distinct, repeatable samples)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.prompts import ChatPromptTemplate

from mom_micro.generation import LocalCausalLM
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
    prompt = ChatPromptTemplate.from_messages([("system", "Be brief."), ("human", "{q}"),
                                               ("ai", "Which?"), ("human", "The sky.")])
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


@pytest.mark.slow
def test_real_smollm2_samples_differ_within_a_run_and_repeat_across_runs():
    def run() -> list[str]:
        llm = LocalChatModel(temperature=0.9, max_new_tokens=16)
        return [m.content for m in llm.batch(["Name an animal."] * 3)]

    first = run()
    assert len(set(first)) > 1 and all(first)
    assert sorted(run()) == sorted(first)
    greedy = LocalChatModel(temperature=0, max_new_tokens=8)
    assert greedy.invoke([SystemMessage("Answer in one word."), HumanMessage("Sky colour?")]).content
    assert isinstance(greedy.invoke("Hi"), AIMessage)
