"""``mom-micro reward train | rank | choose`` on the real MiniLM, as a user runs them: a
user's few recorded choices change their top answer, two processes recording at once
lose nothing, and bad input is one line with exit status 2 that leaves stored data alone."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mom_micro.cli import main
from mom_micro.demo.ranking import STYLE_DATA

SHORT = "Use a wooden spoon."
LONG = (
    "First, take a clean wooden spoon from the drawer. Then hold it by the handle, dip it "
    "into the pot and stir slowly in circles. Finally, rest it on a plate when you are done."
)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reward") / "model"
    assert main(["reward", "train", str(STYLE_DATA), "--out", str(out), "--heads", "4"]) == 0
    return out


def _rank(model_dir, profiles, user, prompt, *responses, capsys) -> dict:
    args = ["reward", "rank", "--model", str(model_dir), "--prompt", prompt, *responses]
    code = main([*args, "--user", user, "--profiles", str(profiles), "--json"])
    assert code == 0
    return json.loads(capsys.readouterr().out)


def _choose(model_dir, profiles, user, prompt, chosen, rejected) -> int:
    return main(
        [
            "reward",
            "choose",
            "--model",
            str(model_dir),
            "--profiles",
            str(profiles),
            "--user",
            user,
            "--prompt",
            prompt,
            "--chosen",
            chosen,
            "--rejected",
            rejected,
        ]
    )


def test_a_few_choices_change_the_users_top_answer(model_dir, tmp_path, capsys):
    profiles = tmp_path / "profiles.json"
    prompt = "How do I stir soup?"
    before = _rank(model_dir, profiles, "ana", prompt, SHORT, LONG, capsys=capsys)
    prior_top = before["ranking"][0]["response"]
    wanted = SHORT if prior_top == LONG else LONG
    training = [
        ("How do I open a jar?", "Run the lid under hot water."),
        ("How do I clean a pan?", "Soak it, then scrub."),
        ("How do I fold a shirt?", "Fold the sleeves in, then fold it in half."),
    ]
    for question, short in training:
        long = (
            f"First, get ready. Then follow these steps carefully: {short} Next, check that it "
            "worked, and repeat it if needed. Finally, put everything back where it belongs."
        )
        chosen, rejected = (short, long) if wanted == SHORT else (long, short)
        _rank(model_dir, profiles, "ana", question, chosen, rejected, capsys=capsys)
        assert _choose(model_dir, profiles, "ana", question, chosen, rejected) == 0
        assert "choices recorded" in capsys.readouterr().out
    after = _rank(model_dir, profiles, "ana", prompt, SHORT, LONG, capsys=capsys)
    assert after["ranking"][0]["response"] == wanted != prior_top
    assert after["head_weights"] != before["head_weights"]
    stored = json.loads(profiles.read_text())["users"]["ana"]
    assert stored["updates"] == 3 and len(stored["choices"]) == 3
    # a user with no choices still gets the population's order
    bob = _rank(model_dir, profiles, "bob", prompt, SHORT, LONG, capsys=capsys)
    assert bob["ranking"][0]["response"] == prior_top


def test_bad_input_is_one_line_exit_2_and_nothing_stored_is_lost(model_dir, tmp_path, capsys):
    profiles = tmp_path / "profiles.json"
    prompt = "How do I stir soup?"
    _rank(model_dir, profiles, "ana", prompt, SHORT, LONG, capsys=capsys)
    assert _choose(model_dir, profiles, "ana", prompt, SHORT, LONG) == 0
    capsys.readouterr()
    stored = profiles.read_text()

    def fails(argv, *needles):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1, err
        for needle in needles:
            assert needle in err, err
        assert profiles.read_text() == stored

    choose = ["reward", "choose", "--profiles", str(profiles), "--user", "ana", "--prompt", prompt]
    fails(
        [*choose, "--model", str(tmp_path / "nowhere"), "--chosen", SHORT, "--rejected", LONG],
        "no config.json",
    )
    fails(
        [*choose, "--model", str(model_dir), "--chosen", "Never shown.", "--rejected", LONG],
        "was not ranked",
    )
    other_model = tmp_path / "other"
    shutil.copytree(model_dir, other_model)
    weights = other_model / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-4] + b"\x00\x00\x00\x00")  # other weights
    fails(
        [*choose, "--model", str(other_model), "--chosen", SHORT, "--rejected", LONG],
        "recorded with model",
    )
    rank = ["reward", "rank", "--model", str(model_dir), "--prompt", prompt, SHORT]
    fails([*rank, "--user", "", "--profiles", str(profiles)], "--user must be a non-empty name")
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    assert main([*rank, "--user", "ana", "--profiles", str(junk)]) == 2
    assert "not valid JSON" in capsys.readouterr().err and junk.read_text() == "{not json"
    train = ["reward", "train", str(STYLE_DATA), "--out", str(tmp_path / "m")]
    fails([*train, "--backbone", str(tmp_path / "no-such-model")], "does not exist")


def test_two_processes_choosing_at_once_lose_nothing(model_dir, tmp_path, capsys):
    profiles = tmp_path / "profiles.json"
    prompts = [f"How do I stir soup number {i}?" for i in range(4)]
    for prompt in prompts:
        for user in ("ana", "bob"):
            _rank(model_dir, profiles, user, prompt, SHORT, LONG, capsys=capsys)
    command = shutil.which("mom-micro", path=str(Path(sys.executable).parent)) or "mom-micro"

    def record(user: str) -> str:
        lines = [
            f"{command} reward choose --model '{model_dir}' --profiles '{profiles}' "
            f"--user {user} --prompt '{prompt}' --chosen '{SHORT}' --rejected '{LONG}'"
            for prompt in prompts
        ]
        return " && ".join(lines)

    workers = [
        subprocess.Popen(
            ["bash", "-c", record(user)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for user in ("ana", "ana", "bob")
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err.decode()[-2000:]
    users = json.loads(profiles.read_text())["users"]
    assert users["ana"]["updates"] == 8 and users["bob"]["updates"] == 4
