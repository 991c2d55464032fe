"""LocalChatModel with the real SmolLM2: distinct, repeatable samples."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from mom_micro.plugins.langchain import LocalChatModel


def test_real_smollm2_samples_differ_within_a_run_and_repeat_across_runs():
    def run() -> list[str]:
        llm = LocalChatModel(temperature=0.9, max_new_tokens=16)
        return [m.content for m in llm.batch(["Name an animal."] * 3)]

    first = run()
    assert len(set(first)) > 1 and all(first)
    assert sorted(run()) == sorted(first)
    greedy = LocalChatModel(temperature=0, max_new_tokens=8)
    assert greedy.invoke(
        [SystemMessage("Answer in one word."), HumanMessage("Sky colour?")]
    ).content
    assert isinstance(greedy.invoke("Hi"), AIMessage)
