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
                "--growth-kb",
                "2,4",
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
    assert [row["kb"] for row in result["growth"]["layouts"]["one_line"]] == [2, 4]
    assert out.with_suffix(".md").read_text().startswith("### water.json")
    assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"


def test_bench_concurrency_overlaps_the_guide_calls(tmp_path, capsys):
    """Three documents through a guide that answers after 2 s: with one call in flight
    the ingest waits for every call in turn; eight in flight save a good part of that
    waiting (all but one round trip, less the embedding they cannot hide), and every
    level stores the same documents."""
    texts = [
        (DATA / "harbor_city_water.txt").read_text(),
        "The ferry leaves at nine.\n\nIt returns at five. Tickets cost two dollars.",
        "Bees make honey from nectar.\n\nA hive holds one queen and many workers.",
    ]
    dataset = tmp_path / "three.jsonl"
    dataset.write_text(
        "".join(
            json.dumps({"input": t, "instructions": ["Q?"], "outputs": ["A"]}) + "\n" for t in texts
        )
    )
    out = tmp_path / "concurrency.json"
    argv = ["bench", "concurrency", "--dataset", str(dataset), "--latency", "2"]
    assert main([*argv, "--levels", "1,8", "--paths", "2", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    one, eight = result["levels"]["1"], result["levels"]["8"]
    assert one["peak_in_flight"] == 1 and eight["peak_in_flight"] > 1
    assert one["added"] == eight["added"] == 3 and one["calls"] == eight["calls"]
    waiting = one["calls"] * 2.0
    assert one["ingest_s"] >= waiting
    assert eight["ingest_s"] < one["ingest_s"] - waiting / 4
    assert "| max_concurrency |" in capsys.readouterr().out
    assert out.with_suffix(".md").is_file()


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
