"""``mom-micro demo``: the README's first command, run for real (offline models, Chroma)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from mom_micro.demo import project_documents
from mom_micro.text import split_sentences


def test_demo_command_runs_offline_end_to_end(tmp_path):
    """The real `mom-micro demo` (MiniLM, Chroma, MiCRo, SmolLM2), as a user runs it."""
    command = shutil.which("mom-micro", path=str(Path(sys.executable).parent)) or "mom-micro"
    work = tmp_path / "demo"
    run = subprocess.run(
        [command, "demo", "--workdir", str(work)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out = run.stdout
    for number in range(1, 7):
        assert f"\n== {number}. " in out
    assert out.count("\nQ: ") == 4  # 3 retrieval questions + the RAG one
    n_docs = len(project_documents())  # README.md and the guides in docs/
    assert f"{n_docs} added, 0 updated, 0 unchanged" in out
    assert "held-out accuracy" in out and "(8 questions)" in out
    assert "ana (" in out and "ben (" in out and "head weights now" in out
    png = work / "head_weights.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert {"config.json", "model.safetensors"} <= {p.name for p in (work / "micro").iterdir()}
    assert "  [4] " in out and "  ana: [" in out and "  ben: [" in out
    # ana wants short, direct answers: her first answer is one sentence
    best = re.search(r"\n  ana: .*best: \[(\d)\]", out).group(1)
    answer = re.search(rf"\n  \[{best}\] (.*)", out).group(1)
    assert len(split_sentences(answer)) == 1, answer
    assert "style weights moved most: " in out
    assert "Done in " in out
    again = subprocess.run(
        [command, "demo", "--workdir", str(work), "--answers", "0"],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"0 added, 0 updated, {n_docs} unchanged" in again.stdout  # the index is reused
    assert "== 6." not in again.stdout
