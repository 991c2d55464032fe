"""The options the commands share (:mod:`mom_micro.cli.options`) and the one path from a
benchmark's flags to its files (:mod:`mom_micro.cli.bench.run`)."""

from __future__ import annotations

import argparse
import json

import pytest

from mom_micro.bench.outputs import write_outputs
from mom_micro.cli import main
from mom_micro.cli.bench.run import BenchRun, set_handler
from mom_micro.cli.options import add_index_location, add_out, index_location


def _location(*argv: str) -> dict:
    parser = argparse.ArgumentParser()
    add_index_location(parser)
    return index_location(parser.parse_args(argv))


def test_an_index_is_a_folder_or_a_whole_server_address():
    assert _location("--index", "idx", "--index-name", "a") == {
        "persist_dir": "idx",
        "index_name": "a",
    }
    assert _location("--chroma-host", "db", "--chroma-port", "8000") == {
        "chroma_host": "db",
        "chroma_port": 8000,
        "index_name": None,
    }
    with pytest.raises(ValueError, match="not both"):
        _location("--index", "idx", "--chroma-host", "db", "--chroma-port", "1")
    with pytest.raises(ValueError, match="both --chroma-host and --chroma-port"):
        _location("--chroma-host", "db")
    with pytest.raises(ValueError, match="give --index DIR"):
        _location()


@pytest.mark.parametrize(
    "argv",
    [
        ["query", "q", "--index", "i", "--chroma-port", "0"],
        ["ingest", "f.txt", "--index", "i", "--chroma-port", "x"],
        ["delete", "d", "--index", "i", "--chroma-port", "-1"],
    ],
)
def test_every_index_command_checks_the_port_the_same_way(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert "--chroma-port" in capsys.readouterr().err


def _bench_parser(runs):
    parser = argparse.ArgumentParser()
    add_out(parser)
    set_handler(parser, lambda args: iter(runs))
    return parser


def _run(result, out=None):
    def render(r):
        return f"| a |\n|---|\n| {r['a']} |\n"

    def write(r, path):
        return write_outputs(r, path, render(r))

    return BenchRun(result, render, write, out)


def test_a_bench_run_is_printed_and_written_where_out_says(tmp_path, capsys):
    out = tmp_path / "r.json"
    args = _bench_parser([_run({"a": 1})]).parse_args(["--out", str(out)])
    assert args.func(args) == 0
    assert json.loads(out.read_text()) == {"a": 1}
    assert out.with_suffix(".md").read_text().startswith("| a |")
    printed = capsys.readouterr().out
    assert "| 1 |" in printed and f"written: {out}" in printed


def test_without_out_a_bench_run_is_printed_and_nothing_is_written(tmp_path, capsys):
    args = _bench_parser([_run({"a": 2})]).parse_args([])
    assert args.func(args) == 0
    assert "| 2 |" in capsys.readouterr().out and not list(tmp_path.iterdir())


def test_runs_of_several_data_sets_each_go_to_their_own_file(tmp_path):
    first, second = tmp_path / "r.one.json", tmp_path / "r.two.json"
    parser = _bench_parser([_run({"a": 1}, first), _run({"a": 2}, second)])
    args = parser.parse_args(["--out", str(tmp_path / "r.json")])
    assert args.func(args) == 0
    assert json.loads(first.read_text()) == {"a": 1} and json.loads(second.read_text()) == {"a": 2}
    assert not (tmp_path / "r.json").exists()
