"""`mom-micro memory` and `mom-micro sft-data` end to end, and their one-line errors."""

import json
import shutil
from pathlib import Path

import pytest

from mom_micro.cli import main

DATA = Path(__file__).parent / "data"


def test_memory_command_errors_are_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe not utf-8")
    assert main(["memory", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "not UTF-8" in err
    assert main(["sft-data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x.jsonl")]) == 2
    assert "is not a folder" in capsys.readouterr().err


@pytest.mark.slow
def test_memory_command_prints_the_outline_tree_and_writes_json(tmp_path, capsys):
    out = tmp_path / "water.json"
    assert main(["memory", str(DATA / "harbor_city_water.txt"), "--target-words", "80", "--json-out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "├── Water Treatment" in printed and "coverage 100%" in printed
    saved = json.loads(out.read_text())
    assert saved["doc_id"] == "harbor_city_water.txt" and len(saved["units"]) >= 5


@pytest.mark.slow
def test_sft_data_command_with_the_offline_guide(tmp_path, capsys):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(DATA / "harbor_city_water.txt", docs / "water.txt")
    out = tmp_path / "com.jsonl"
    code = main(["sft-data", str(docs), "--out", str(out), "--paths", "1", "--max-new-tokens", "80"])
    assert code == 0, capsys.readouterr().err
    record = json.loads(out.read_text().splitlines()[0])
    assistant = record["messages"][1]["content"]
    assert assistant.startswith("<think>") and "</think>\n<outline>" in assistant


@pytest.mark.slow
def test_bench_memory_writes_json_table_and_plot(tmp_path, capsys):
    text = (DATA / "harbor_city_water.txt").read_text()
    squad = {"data": [{"title": "water", "paragraphs": [{"context": text, "qas": [
        {"id": "q1", "question": "How long should water boil?",
         "answers": [{"text": "one minute", "answer_start": text.index("one minute")}]}]}]}]}
    dataset = tmp_path / "water.json"
    dataset.write_text(json.dumps(squad))
    out = tmp_path / "bench" / "memory.json"
    assert main(["bench", "memory", "--dataset", str(dataset), "--limit-docs", "1",
                 "--target-words", "80", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    extractive = result["methods"]["extractive"]
    assert extractive["coverage"] == 1.0 and 0.0 <= extractive["clarity"] <= 1.0
    assert result["methods"]["sentence_splitter_128"]["chunks"] > 0
    assert out.with_suffix(".md").read_text().startswith("### water.json")
    assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
