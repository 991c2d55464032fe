"""A Milvus server on loopback (Milvus Lite's gRPC server, :mod:`tests.support.milvus_server`)
holds whole indexes: a second client opens one by name, two writers and a reader in
processes of their own at once lose nothing, a server killed mid-ingest is one line and a
rerun completes the index."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mom_micro.cli import main
from mom_micro.retrievers import MemoryIndex
from tests.support.chroma_server import free_port
from tests.support.retrieval import HashEmbedding, ParagraphReader
from tests.support.worker import document

pytest.importorskip("pymilvus", reason="pymilvus (the scale extra) is not installed")
pytest.importorskip("milvus_lite", reason="milvus-lite (the scale extra) is not installed")

from mom_micro.retrievers.storage.milvus_store import MilvusUnavailable  # noqa: E402
from tests.support.milvus_server import MilvusServer  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def milvus_server(tmp_path):
    server = MilvusServer(tmp_path / "milvus-data", free_port())
    server.start()
    yield server
    server.stop()


def _index(server: MilvusServer, name: str = "shared") -> MemoryIndex:
    return MemoryIndex.open(
        milvus_uri=server.uri,
        index_name=name,
        reader=ParagraphReader(),
        embed_model=HashEmbedding(),
    )


def _worker(server: MilvusServer, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.worker", "--milvus", server.uri, "--name",
         "shared", *args],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def test_a_second_client_sees_what_the_first_committed(milvus_server, capsys):
    first = _index(milvus_server)
    first.add_documents([document("d-0"), document("d-1")])
    second = _index(milvus_server)  # open at the same time: no file lock on a server
    assert second.doc_ids == ["d-0", "d-1"]
    question = document("d-1").text.split("\n")[1]
    ids = [h.node.node_id for h in first.as_retriever(similarity_top_k=3).retrieve(question)]
    assert [
        h.node.node_id for h in second.as_retriever(similarity_top_k=3).retrieve(question)
    ] == ids
    second.delete("d-0")
    time.sleep(first.refresh_interval)
    assert first.as_retriever(similarity_top_k=3).retrieve(question)
    assert first.doc_ids == ["d-1"] and first.check().ok
    assert main(["indexes", "--milvus-uri", milvus_server.uri]) == 0
    assert capsys.readouterr().out.splitlines() == ["shared\t1 documents"]


def test_two_processes_ingest_into_one_index_while_a_third_queries(milvus_server):
    _index(milvus_server).close()  # created empty first
    watcher = _worker(milvus_server, "watch", "20")
    writers = [_worker(milvus_server, "ingest", prefix, "10") for prefix in "ab"]
    outputs = [w.communicate(timeout=600)[0] for w in [*writers, watcher]]
    assert [w.returncode for w in [*writers, watcher]] == [0, 0, 0], outputs
    index = _index(milvus_server)
    assert len(index) == 20
    report = index.check()
    assert report.ok and report.orphans == 0 and report.pending == 0, report


def test_the_server_killed_during_an_ingest_is_one_line_and_a_rerun_completes(milvus_server):
    count = 40
    watcher = _index(milvus_server)
    writer = _worker(milvus_server, "ingest", "k", str(count))
    deadline = time.monotonic() + 300
    while not (watcher.refresh(force=True) or len(watcher)):
        assert writer.poll() is None, writer.communicate()[0]
        assert time.monotonic() < deadline, "the writer committed nothing in 300 s"
        time.sleep(0.02)
    milvus_server.proc.kill()  # SIGKILL: the server dies mid-write
    milvus_server.proc.wait()
    out = writer.communicate(timeout=120)[0]
    assert writer.returncode != 0 and "MilvusUnavailable" in out, out
    assert (
        main(["query", "river", "--milvus-uri", milvus_server.uri, "--index-name", "shared"]) == 2
    )
    milvus_server.start()
    rerun = _worker(milvus_server, "ingest", "k", str(count))
    out = rerun.communicate(timeout=300)[0]
    assert rerun.returncode == 0, out
    index = _index(milvus_server)
    assert len(index) == count
    report = index.check()
    assert report.ok and report.orphans == 0 and report.pending == 0, report


def test_reads_and_writes_while_the_server_is_down_name_the_uri(milvus_server):
    index = _index(milvus_server)
    index.add_documents([document("d-0")])
    milvus_server.stop()
    started = time.monotonic()
    with pytest.raises(MilvusUnavailable, match=f"Milvus at {milvus_server.uri} "):
        index.add_documents([document("d-1")])
    with pytest.raises(MilvusUnavailable, match=f"Milvus at {milvus_server.uri} "):
        index.delete("d-0")
    with pytest.raises(MilvusUnavailable, match=f"Milvus at {milvus_server.uri} "):
        index.stores.query("chunk", index.embed_model.get_query_embedding("river"), 3)
    with pytest.raises(MilvusUnavailable, match=f"Milvus at {milvus_server.uri} "):
        index.as_retriever().retrieve("river harbor")
    assert time.monotonic() - started < 60
