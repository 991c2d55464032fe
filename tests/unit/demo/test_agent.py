"""The demo's agent step with a scripted chat model: each user gets their style, and one
recorded choice in the agent's store changes the new user's next answer."""

from __future__ import annotations

import pytest

from mom_micro.demo.agent import agents_answer_users
from tests.support.chat import ScriptedChatModel
from tests.support.micro import concise, detailed, question

ANSWERS = ["Owls are birds.", concise("owls"), detailed("owls"), "Owls hunt at night."]


def test_the_agent_answers_each_user_in_their_style_and_learns_from_one_choice(micro_model):
    lines: list[str] = []
    report = agents_answer_users(
        micro_model,
        lines.append,
        chat_model=ScriptedChatModel(answers=ANSWERS),
        users={"ana": "concise", "ben": "detailed"},
        question=question("owls"),
        n=4,
    )
    assert report.answers == {"ana": concise("owls"), "ben": detailed("owls")}
    assert report.picked != report.before_choice
    assert report.after_choice == report.picked
    assert micro_model.profiles.get("cy") is None  # the agent's store keeps cy's choice
    assert any("BestOfNMiddleware" in line for line in lines)


def test_the_agent_step_needs_candidates_to_rank(micro_model):
    with pytest.raises(ValueError, match="n >= 2 candidates"):
        agents_answer_users(micro_model, print, chat_model=ScriptedChatModel(answers=ANSWERS), n=1)
