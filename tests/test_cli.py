"""The `mom-micro` command line: --help everywhere (fast: it loads neither torch nor
LlamaIndex), and ingest -> query end to end with the real offline models."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mom_micro.cli import build_parser, main

COMMANDS = [["demo"], ["memory"], ["sft-data"], ["ingest"], ["query"], ["reward", "train"],
            ["reward", "rank"], ["bench", "memory"], ["bench", "retrieval"],
            ["bench", "preference"]]
WATER = Path(__file__).parent / "memory" / "data" / "harbor_city_water.txt"


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    assert f"usage: mom-micro {' '.join(command)}" in capsys.readouterr().out


def test_building_the_parser_loads_no_heavy_framework():
    code = ("import sys; from mom_micro.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('torch', 'llama_index.core', 'langchain_core', 'chromadb') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    usage = build_parser().format_help()
    assert all(name in usage for name in ("demo", "ingest", "query", "reward", "bench"))


@pytest.mark.slow
def test_ingest_then_query_end_to_end(tmp_path, capsys):
    doc = tmp_path / "water.txt"
    doc.write_text(WATER.read_text(encoding="utf-8"), encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n", encoding="utf-8")
    index = str(tmp_path / "idx")
    assert main(["ingest", str(doc), "--index", index, "--no-progress"]) == 0
    assert "1 added" in capsys.readouterr().out
    assert main(["ingest", str(doc), "--index", index, "--no-progress"]) == 0
    assert "1 unchanged" in capsys.readouterr().out
    assert main(["query", "Where does the city get its drinking water?", "--index", index,
                 "-k", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("[1] water.txt / ") and "[2] water.txt / " in out
    assert all(f"{evidence} " in out for evidence in ("chunk", "sentence", "core", "outline"))
    assert main(["ingest", str(empty), "--index", index]) == 2
    assert "empty" in capsys.readouterr().err.lower()
