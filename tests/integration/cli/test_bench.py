"""``mom-micro bench memory`` and ``bench retrieval`` with the real offline models: JSON, table, plot."""

import json

from mom_micro.cli import main
from tests.support.memory import DATA


def _water_squad(folder):
    """A SQuAD file of the water notice with one question, "How long should water boil?"."""
    text = (DATA / "harbor_city_water.txt").read_text()
    answer = "one minute"
    question = {
        "id": "q1",
        "question": "How long should water boil?",
        "answers": [{"text": answer, "answer_start": text.index(answer)}],
    }
    paragraph = {"context": text, "qas": [question]}
    path = folder / "water.json"
    path.write_text(json.dumps({"data": [{"title": "water", "paragraphs": [paragraph]}]}))
    return path


def test_bench_memory_writes_json_table_and_plot(tmp_path, capsys):
    dataset = _water_squad(tmp_path)
    out = tmp_path / "bench" / "memory.json"
    assert (
        main(
            [
                "bench",
                "memory",
                "--dataset",
                str(dataset),
                "--limit-docs",
                "1",
                "--target-words",
                "80",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    result = json.loads(out.read_text())
    extractive = result["methods"]["extractive"]
    assert extractive["coverage"] == 1.0 and 0.0 <= extractive["clarity"] <= 1.0
    assert result["methods"]["sentence_splitter_128"]["chunks"] > 0
    assert out.with_suffix(".md").read_text().startswith("### water.json")
    assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"


def test_bench_retrieval_with_the_llamaindex_hybrid_offline(tmp_path, monkeypatch):
    """The LlamaIndex hybrid (bm25s + MiniLM, reciprocal rank) runs with the hub off
    beside fixed128 and mom, and the table names the best system at each budget."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    dataset = _water_squad(tmp_path)
    out = tmp_path / "retrieval.json"
    argv = ["bench", "retrieval", "--dataset", str(dataset), "--out", str(out)]
    assert main([*argv, "--systems", "fixed128,llamaindex_hybrid,mom", "--budgets", "50,400"]) == 0
    result = json.loads(out.read_text())
    hybrid = result["systems"]["llamaindex_hybrid"]
    assert hybrid["nodes"] == result["systems"]["fixed128"]["nodes"]
    assert hybrid["hit@400"] == 1.0 and hybrid["query_p50_ms"] > 0
    assert set(result["winners"]["hit@400"]) >= {"llamaindex_hybrid"}
    assert "| 400 |" in out.with_suffix(".md").read_text()
