"""``mom-micro bench memory`` with the real offline reader and evaluator: JSON, table, plot."""

import json

from mom_micro.cli import main
from tests.support.memory import DATA


def test_bench_memory_writes_json_table_and_plot(tmp_path, capsys):
    text = (DATA / "harbor_city_water.txt").read_text()
    squad = {
        "data": [
            {
                "title": "water",
                "paragraphs": [
                    {
                        "context": text,
                        "qas": [
                            {
                                "id": "q1",
                                "question": "How long should water boil?",
                                "answers": [
                                    {"text": "one minute", "answer_start": text.index("one minute")}
                                ],
                            }
                        ],
                    }
                ],
            }
        ]
    }
    dataset = tmp_path / "water.json"
    dataset.write_text(json.dumps(squad))
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
    text = (DATA / "harbor_city_water.txt").read_text()
    answer = "one minute"
    squad = {
        "data": [
            {
                "title": "water",
                "paragraphs": [
                    {
                        "context": text,
                        "qas": [
                            {
                                "id": "q1",
                                "question": "How long should water boil?",
                                "answers": [{"text": answer, "answer_start": text.index(answer)}],
                            }
                        ],
                    }
                ],
            }
        ]
    }
    dataset = tmp_path / "water.json"
    dataset.write_text(json.dumps(squad))
    out = tmp_path / "retrieval.json"
    argv = ["bench", "retrieval", "--dataset", str(dataset), "--out", str(out)]
    assert main([*argv, "--systems", "fixed128,llamaindex_hybrid,mom", "--budgets", "50,400"]) == 0
    result = json.loads(out.read_text())
    hybrid = result["systems"]["llamaindex_hybrid"]
    assert hybrid["nodes"] == result["systems"]["fixed128"]["nodes"]
    assert hybrid["hit@400"] == 1.0 and hybrid["query_p50_ms"] > 0
    assert set(result["winners"]["hit@400"]) >= {"llamaindex_hybrid"}
    assert "| 400 |" in out.with_suffix(".md").read_text()
