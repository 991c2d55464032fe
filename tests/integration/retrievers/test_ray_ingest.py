"""Ingest on Ray: a local Ray cluster reads and embeds with the real offline models, this
process stores. The index equals a single-process ingest's; a worker that dies is
replaced and its group read again; a client killed mid-ingest leaves an index that a
rerun completes; an unreachable cluster is one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from llama_index.core import Document

from mom_micro.cli import main
from mom_micro.retrievers import MemoryIndex
from mom_micro.retrievers.ray_ingest import RayIngest
from mom_micro.retrievers.storage.writer import GroupReader

ray = pytest.importorskip("ray", reason="the ray package (the scale extra) is not installed")

ROOT = Path(__file__).resolve().parents[3]
FILES = sorted((ROOT / "docs").glob("*.md"))


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray for the module (starting one costs seconds); RayIngest joins it."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


def _docs() -> list[Document]:
    return [Document(text=path.read_text(), id_=path.name) for path in FILES]


def _units(index: MemoryIndex) -> tuple[list, dict]:
    chunks = sorted((n.node_id, n.get_content(), n.metadata["title"]) for n in index.chunk_nodes())
    return chunks, index.layer_counts()


def test_a_ray_ingest_gives_the_same_index_as_one_process(local_ray, tmp_path):
    local = MemoryIndex.open(tmp_path / "local")
    local.add_documents(_docs(), group_size=1)
    on_ray = MemoryIndex.open(tmp_path / "ray")
    report = on_ray.add_documents(_docs(), group_size=1, ray=RayIngest(workers=2))
    assert sorted(report.added) == sorted(p.name for p in FILES)
    assert _units(on_ray) == _units(local) and _units(local)[0]
    assert on_ray.check().ok
    again = on_ray.add_documents(_docs(), ray=RayIngest(workers=2))
    assert sorted(again.unchanged) == sorted(p.name for p in FILES)


def test_a_worker_that_dies_is_replaced_and_its_group_read_again(local_ray, tmp_path):
    marker = tmp_path / "died"

    class DiesOnce(GroupReader):
        def __call__(self, documents):
            if not marker.exists():
                marker.write_text(str(os.getpid()))
                os._exit(9)  # the worker process dies mid-group, as under kill -9
            return super().__call__(documents)

    index = MemoryIndex.open(tmp_path / "idx")
    plain = index.writer.group_reader()
    index.writer.group_reader = lambda: DiesOnce(plain.builder, plain.embed)
    report = index.add_documents(_docs(), group_size=1, ray=RayIngest(workers=2))
    assert marker.exists() and sorted(report.added) == sorted(p.name for p in FILES)
    index.writer.group_reader = lambda: plain
    reference = MemoryIndex.open(tmp_path / "reference")
    reference.add_documents(_docs())
    assert _units(index) == _units(reference) and index.check().ok


def test_a_client_killed_mid_ingest_leaves_an_index_a_rerun_completes(tmp_path):
    folder = tmp_path / "idx"
    argv = ["ingest", *map(str, FILES), "--index", str(folder), "--ray", "--group-size", "1"]
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}  # a local Ray
    env["PYTHONPATH"] = str(ROOT)
    client = subprocess.Popen(
        [sys.executable, "-m", "mom_micro.cli", *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and client.poll() is None:
        index = MemoryIndex.open(folder) if (folder / "mom_index.json").exists() else None
        if index is not None and len(index) >= 1:
            break  # a document is committed: kill the client among its writes
        time.sleep(0.5)
    os.killpg(client.pid, signal.SIGKILL)  # the client and the Ray it started
    client.wait()
    assert main(["ingest", *map(str, FILES), "--index", str(folder), "--ray"]) == 0
    index = MemoryIndex.open(folder)
    assert sorted(index.doc_ids) == sorted(p.name for p in FILES)
    assert index.check().ok and index.catalog.pending() == []


def test_an_unreachable_cluster_is_one_line(tmp_path, capsys, monkeypatch):
    argv = ["ingest", str(FILES[0]), "--index", str(tmp_path / "i"), "--ray"]
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:9")
    assert main(argv) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert "error: cannot reach the Ray cluster at 127.0.0.1:9" in error[-1] and len(error) == 1
