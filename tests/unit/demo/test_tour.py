"""The demo's set-up: which documents it reads, and bad input named before any work."""

from __future__ import annotations

from pathlib import Path

import pytest

from mom_micro.cli import main
from mom_micro.demo import DemoError, project_documents, run_demo

ROOT = Path(__file__).resolve().parents[3]


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
