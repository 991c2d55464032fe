"""The ``mom-micro`` parser: every command has --help, building it loads no framework
(so ``mom-micro --help`` is fast), and the flags parse as documented."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mom_micro.cli import build_parser, main

COMMANDS = [
    ["demo"],
    ["memory"],
    ["sft-data"],
    ["train-reader"],
    ["ingest"],
    ["query"],
    ["delete"],
    ["repair"],
    ["indexes"],
    ["reward", "train"],
    ["reward", "rank"],
    ["bench", "memory"],
    ["bench", "retrieval"],
    ["bench", "server"],
    ["bench", "scale"],
    ["bench", "preference"],
    ["bench", "reader"],
]


def test_cli_registers_reward_and_bench_commands():
    parser = build_parser()
    args = parser.parse_args(
        [
            "bench",
            "preference",
            "--train",
            "a.json",
            "--split-by-prompt",
            "0.2",
            "--out",
            "x.json",
            "--heads",
            "4",
            "--context",
            "a.json=helpful",
        ]
    )
    assert (
        args.heads == 4
        and args.context == ["a.json=helpful"]
        and args.curve == [0, 10, 25, 50, 100]
    )
    assert args.ctx_alpha == [0.1, 0.0] and not args.no_ctx
    args = parser.parse_args(["reward", "train", "--ctx-alpha", "0,0.3", "a.json", "--out", "m"])
    assert args.ctx_alpha == [0.0, 0.3] and args.files == ["a.json"]  # the file is not a weight
    from mom_micro.cli.preference_options import recipe_from_args

    recipe = recipe_from_args(parser.parse_args(["reward", "train", "a.json", "--out", "m"]))
    assert recipe.stage2.guard_z == 2.0 and recipe.ctx_alphas == (0.1, 0.0)
    args = parser.parse_args(["reward", "train", "a.json", "--out", "m", "--guard-z", "1"])
    assert recipe_from_args(args).stage2.guard_z == 1.0
    args = parser.parse_args(["reward", "rank", "--model", "m", "--prompt", "p", "r1", "r2"])
    assert args.responses == ["r1", "r2"]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    assert f"usage: mom-micro {' '.join(command)}" in capsys.readouterr().out


def test_building_the_parser_loads_no_heavy_framework():
    code = (
        "import sys; from mom_micro.cli import build_parser; build_parser(); "
        "print(sorted(m for m in ('torch', 'llama_index.core', 'langchain_core', 'chromadb') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    usage = build_parser().format_help()
    assert all(name in usage for name in ("demo", "ingest", "query", "reward", "bench"))
