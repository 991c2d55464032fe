"""``mom-micro bench scale`` end to end on tiny sizes: a QA set of one real notice, the
other texts of ``tests/support/data`` as distractors, Chroma embedded and Milvus Lite, the
real offline reader and MiniLM, every step in fresh processes; JSON, Markdown and PNG."""

from __future__ import annotations

import json

import pytest

from mom_micro.bench.scale import COSTS
from mom_micro.cli import main
from tests.support.memory import DATA

pytest.importorskip("pymilvus", reason="pymilvus (the scale extra) is not installed")
pytest.importorskip("milvus_lite", reason="milvus-lite (the scale extra) is not installed")

STEP_FIGURES = {
    "size",
    "documents",
    "chunks",
    "chunks_added",
    "ingest_s",
    "chunks_per_s",
    "ingest_open_s",
    "ingest_base_mb",
    "ingest_peak_mb",
    "rejected",
    "import_s",
    "open_s",
    "model_s",
    "first_query_s",
    "first_answer_s",
    "hit@400",
    "recall@400",
    "hit_questions",
    "query_p50_ms",
    "query_p95_ms",
    "client_peak_mb",
}


def test_bench_scale_grows_both_indexes_and_writes_every_figure(tmp_path):
    text = (DATA / "harbor_city_water.txt").read_text()
    qa = tmp_path / "water.jsonl"
    record = {
        "input": text,
        "instructions": ["How long should water boil?"],
        "outputs": ["one minute"],
    }
    qa.write_text(json.dumps(record) + "\n")
    out = tmp_path / "scale.json"
    argv = ["bench", "scale", "--dataset", str(qa), "--distractors", str(DATA)]
    argv += ["--sizes", "20,40", "--locations", "chroma,milvus-lite", "--out", str(out)]
    assert main(argv) == 0

    result = json.loads(out.read_text())
    assert result["skipped_duplicates"] == 1  # the notice itself, among the distractors
    assert result["unreached"] == []
    chroma, milvus = (result["locations"][n]["steps"] for n in ("chroma", "milvus-lite"))
    for steps in (chroma, milvus):
        assert [s["size"] for s in steps] == [20, 40]
        assert all(set(s) == STEP_FIGURES for s in steps)
        assert steps[0]["chunks"] >= 20 and steps[1]["chunks"] >= 40
        assert steps[1]["chunks_added"] == steps[1]["chunks"] - steps[0]["chunks"]
        assert all(s["hit_questions"] == 1 and s["hit@400"] == 1.0 for s in steps)
        assert all(s["first_answer_s"] > 0 and s["ingest_peak_mb"] > 0 for s in steps)
    assert [s["chunks"] for s in chroma] == [s["chunks"] for s in milvus]
    for figures in result["locations"].values():
        assert set(figures["slopes"]) == set(COSTS)
        assert all(isinstance(v, float) for v in figures["slopes"].values())
    goals = result["goals"]
    assert goals["hit_milvus_vs_chroma"]["status"] == "met"
    assert goals["query_p50_growth"]["status"] in ("not measured", "not met")  # no server
    assert goals["first_answer_milvus"]["status"] in ("met", "not met")

    table = out.with_suffix(".md").read_text()
    assert "| chroma @ 40 |" in table and "| milvus-lite @ 20 |" in table
    assert "first_answer_milvus" in table and "slope (log-log)" in table
    assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
