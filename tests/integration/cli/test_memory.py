"""``mom-micro memory`` and ``mom-micro sft-data`` end to end with the offline models."""

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


def test_sft_data_command_with_the_offline_guide(tmp_path, capsys):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(DATA / "harbor_city_water.txt", docs / "water.txt")
    out = tmp_path / "com.jsonl"
    code = main(
        ["sft-data", str(docs), "--out", str(out), "--paths", "1", "--max-new-tokens", "80"]
    )
    assert code == 0, capsys.readouterr().err
    record = json.loads(out.read_text().splitlines()[0])
    assistant = record["messages"][1]["content"]
    assert assistant.startswith("<think>") and "</think>\n<outline>" in assistant
