"""``mom-micro memory``, ``sft-data`` and ``bench reader`` end to end with the offline models."""

import json
import shutil

from mom_micro.cli import main
from tests.support.memory import DATA


def test_memory_command_prints_the_outline_tree_and_writes_json(tmp_path, capsys):
    out = tmp_path / "water.json"
    assert (
        main(
            [
                "memory",
                str(DATA / "harbor_city_water.txt"),
                "--target-words",
                "80",
                "--json-out",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "├── Water Treatment" in printed and "coverage 100%" in printed
    saved = json.loads(out.read_text())
    assert saved["doc_id"] == "harbor_city_water.txt" and len(saved["units"]) >= 5


def test_sft_data_command_with_the_extractive_teacher(tmp_path, capsys):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(DATA / "harbor_city_water.txt", docs / "water.txt")
    out = tmp_path / "com.jsonl"
    argv = ["sft-data", str(docs), "--out", str(out), "--paths", "2", "--student-context", "1000"]
    assert main(argv) == 0, capsys.readouterr().err
    assert "reasoning: " in capsys.readouterr().out
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) >= 2 and all(r["meta"]["reasoning"] == "template" for r in records)
    assistant = records[0]["messages"][1]["content"]
    assert assistant.startswith("<think>The text has") and "</think>\n<outline>" in assistant
    assert main(argv) == 0  # a second run rewrites the same records
    assert [json.loads(line) for line in out.read_text().splitlines()] == records


def test_bench_reader_command_with_the_extractive_reader(tmp_path, capsys):
    text = (DATA / "harbor_city_water.txt").read_text()
    dataset = tmp_path / "held_out.jsonl"
    dataset.write_text(
        json.dumps({"input": text, "instructions": ["Who?"], "outputs": ["the city"]}) + "\n"
    )
    out = tmp_path / "reader.json"
    argv = ["bench", "reader", "--dataset", str(dataset), "--readers", "extractive"]
    argv += ["--student-context", "1000", "--no-score", "--no-progress", "--out", str(out)]
    assert main(argv) == 0, capsys.readouterr().err
    figures = json.loads(out.read_text())["readers"]["extractive"]
    assert figures["parse"] == 1.0 and figures["anchors_exact"] == 1.0
    assert out.with_suffix(".png").is_file() and "| extractive |" in capsys.readouterr().out
