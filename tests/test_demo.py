"""`mom-micro demo`: the README's first command, run for real in CI; and its parts."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from mom_micro.cli import main
from mom_micro.demo import STYLE_DATA, USERS, DemoError, _layer_ranks, project_documents, run_demo
from mom_micro.rewards import read_preferences

ROOT = Path(__file__).resolve().parents[1]


def test_the_shipped_preference_sample_is_labelled_synthetic_and_balanced():
    rows = [json.loads(line) for line in STYLE_DATA.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 80 and all(row["synthetic"] is True for row in rows)
    pairs, report = read_preferences(STYLE_DATA)
    assert report.pairs == 80 and not report.skipped
    assert {p.context for p in pairs} == set(USERS.values())
    assert sum(p.context == USERS["ana"] for p in pairs) == 40


def test_project_documents_are_the_readme_and_docs(tmp_path):
    assert [p.name for p in project_documents(ROOT)][:1] == ["README.md"]
    assert {"memory.md", "retrieval.md", "ranking.md"} <= {p.name for p in project_documents(ROOT)}
    with pytest.raises(DemoError, match="pass documents"):
        project_documents(tmp_path)


def test_bad_demo_input_is_named_before_any_work(tmp_path):
    with pytest.raises(DemoError, match="no such document: .*nope.md"):
        run_demo(tmp_path, documents=[tmp_path / "nope.md"])
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "notes.md").write_text("# Notes\n\nSome text.", encoding="utf-8")
    with pytest.raises(DemoError, match="repeat: notes.md"):
        run_demo(tmp_path, documents=[tmp_path / "a/notes.md", tmp_path / "b/notes.md"])
    with pytest.raises(DemoError, match="at least one question"):
        run_demo(tmp_path, questions=[])
    assert main(["demo", "--docs", str(tmp_path / "nope.md"), "--workdir", str(tmp_path)]) == 2


def _hit(doc: str, chunk: float, sentence: float | None, core: float, outline: float,
         lexical: float) -> SimpleNamespace:
    meta = {"doc_id": doc, "score_chunk": chunk, "score_sentence": sentence, "score_core": core,
            "score_outline": outline, "score_lexical": lexical}
    return SimpleNamespace(node=SimpleNamespace(metadata=meta))


def test_layer_ranks_rank_each_hit_by_each_evidence_alone():
    hits = [_hit("a", 0.5, None, 0.9, 0.3, 1.0), _hit("b", 0.7, 0.8, 0.1, 0.6, 0.0),
            _hit("a", 0.6, 0.65, 0.2, 0.3, 0.4)]
    # a hit with no sentence probe found ranks last by that evidence
    assert _layer_ranks(hits) == [
        {"chunk": 3, "sentence": 3, "core": 1, "outline": 2, "lexical": 1},
        {"chunk": 1, "sentence": 1, "core": 3, "outline": 1, "lexical": 3},
        {"chunk": 2, "sentence": 2, "core": 2, "outline": 2, "lexical": 2}]


@pytest.mark.slow
def test_demo_command_runs_offline_end_to_end(tmp_path):
    """The real `mom-micro demo` (MiniLM, Chroma, MiCRo, SmolLM2), as a user runs it."""
    command = shutil.which("mom-micro", path=str(Path(sys.executable).parent)) or "mom-micro"
    work = tmp_path / "demo"
    run = subprocess.run([command, "demo", "--workdir", str(work)], capture_output=True,
                         text=True, timeout=900, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    out = run.stdout
    for number in range(1, 7):
        assert f"\n== {number}. " in out
    assert out.count("\nQ: ") == 4                     # 3 retrieval questions + the RAG one
    assert "4 added, 0 updated, 0 unchanged" in out
    assert "held-out accuracy" in out and "(8 questions)" in out
    assert "ana (" in out and "ben (" in out and "head weights now" in out
    png = work / "head_weights.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert {"config.json", "model.safetensors"} <= {p.name for p in (work / "micro").iterdir()}
    assert "  [4] " in out and "  ana: [" in out and "  ben: [" in out
    assert "Done in " in out
    again = subprocess.run([command, "demo", "--workdir", str(work), "--answers", "0"],
                           capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "0 added, 0 updated, 4 unchanged" in again.stdout  # the index is reused
    assert "== 6." not in again.stdout
