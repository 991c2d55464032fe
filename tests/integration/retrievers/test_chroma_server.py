"""A real Chroma server on loopback holds whole indexes: a second client opens one by
name, indexes of other names never share vectors, two writers and a reader in processes
of their own at once, the server killed mid-ingest, the server down.

The server is started by the fixture below (``chroma run`` from the chromadb package),
so the plain ``make test`` that CI runs exercises it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from llama_index.core import Document

from mom_micro.cli import main
from mom_micro.retrievers import (
    ChromaServerUnavailable,
    IndexNotFound,
    MemoryIndex,
    connect_chroma_server,
)
from tests.support.chroma_server import HOST, ChromaServer, free_port
from tests.support.retrieval import PETS, SPACE, HashEmbedding, ParagraphReader

ROOT = Path(__file__).resolve().parents[3]


def _ask(index: MemoryIndex) -> list[list[str]]:
    retriever = index.as_retriever(similarity_top_k=3)
    return [
        [r.node.node_id for r in retriever.retrieve(q)]
        for q in ("red planet Mars", "wolves bark", "telescope mirrors")
    ]


def _server_index(server: ChromaServer, name: str = "shared", **options) -> MemoryIndex:
    return MemoryIndex.open(
        chroma_host=HOST,
        chroma_port=server.port,
        index_name=name,
        reader=ParagraphReader(),
        embed_model=HashEmbedding(),
        **options,
    )


def _worker(server: ChromaServer, name: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ANONYMIZED_TELEMETRY": "False"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.worker",
            "--host",
            HOST,
            "--port",
            str(server.port),
            "--name",
            name,
            *args,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def test_a_second_client_with_the_name_alone_queries_inserts_and_deletes(chroma_server):
    docs = [Document(text=PETS, id_="pets"), Document(text=SPACE, id_="space")]
    first = _server_index(chroma_server)
    first.add_documents(docs)
    before = _ask(first)
    assert before[0][0] == "space#chunk-0" and before[1][0] == "pets#chunk-1"
    second = _server_index(chroma_server)  # no folder: host, port and name only
    assert second.doc_ids == ["pets", "space"] and _ask(second) == before
    assert second.add_documents(
        [Document(text="Owls\nOwls hunt mice at night.", id_="owls")]
    ).added == ["owls"]
    time.sleep(first.refresh_interval)  # a client looks for others' commits once a second
    assert (
        first.as_retriever(similarity_top_k=1).retrieve("owls hunt mice")[0].node.node_id
        == "owls#chunk-0"
    )  # the first client takes in what the second committed
    second.delete("owls")
    assert "owls" not in _server_index(chroma_server).doc_ids
    chroma_server.restart()
    assert _ask(first) == before  # the same client reconnects
    assert main(["indexes", "--chroma-host", HOST, "--chroma-port", str(chroma_server.port)]) == 0


def test_indexes_never_share_vectors(chroma_server):
    """The regression of a shared collection prefix: inserting and deleting a document in
    one index must not touch another index's vectors."""
    docs = [Document(text=PETS, id_="pets"), Document(text=SPACE, id_="space")]
    one = _server_index(chroma_server, "one")
    one.add_documents(docs)
    two = _server_index(chroma_server, "two")
    two.add_documents(docs)
    two.delete("pets")
    two.delete("space")
    assert _server_index(chroma_server, "one").check().ok
    assert one.doc_ids == ["pets", "space"] and _ask(one)[0][0] == "space#chunk-0"
    with pytest.raises(IndexNotFound, match="no memory index named 'three'"):
        MemoryIndex.load(
            chroma_host=HOST,
            chroma_port=chroma_server.port,
            index_name="three",
            embed_model=HashEmbedding(),
        )


def test_two_processes_ingest_into_one_index_while_a_third_queries(chroma_server):
    _server_index(chroma_server)  # created empty first
    watcher = _worker(chroma_server, "shared", "watch", "25")
    writers = [_worker(chroma_server, "shared", "ingest", prefix, "12") for prefix in "ab"]
    outputs = [w.communicate(timeout=600)[0] for w in [*writers, watcher]]
    assert [w.returncode for w in [*writers, watcher]] == [0, 0, 0], outputs
    index = _server_index(chroma_server)
    assert len(index) == 24
    report = index.check()
    assert report.ok and report.orphans == 0 and report.pending == 0, report


def test_the_server_killed_during_an_ingest_then_a_rerun_completes_it(chroma_server):
    count = 60
    watcher = _server_index(chroma_server)
    writer = _worker(chroma_server, "shared", "ingest", "k", str(count))
    # The kill waits for the writer's first committed document (seen from this second
    # client), not for a clock, so it lands inside the batch however fast the machine.
    deadline = time.monotonic() + 300
    while not (watcher.refresh(force=True) or len(watcher)):
        assert writer.poll() is None, writer.communicate()[0]
        assert time.monotonic() < deadline, "the writer committed nothing in 300 s"
        time.sleep(0.02)
    chroma_server.proc.kill()  # SIGKILL: the server dies mid-write
    chroma_server.proc.wait()
    out = writer.communicate(timeout=120)[0]
    assert writer.returncode != 0 and "ChromaServerUnavailable" in out, out
    chroma_server.start()
    rerun = _worker(chroma_server, "shared", "ingest", "k", str(count))
    out = rerun.communicate(timeout=300)[0]
    assert rerun.returncode == 0, out
    index = _server_index(chroma_server)
    assert len(index) == count
    report = index.check()
    assert report.ok and report.orphans == 0 and report.pending == 0, report


def test_writes_while_the_server_is_down_name_the_server(chroma_server):
    index = _server_index(chroma_server)
    chroma_server.stop()
    start = time.monotonic()
    with pytest.raises(ChromaServerUnavailable, match=f"{HOST}:{chroma_server.port}"):
        index.add_documents([Document(text=PETS, id_="pets")])
    with pytest.raises(ChromaServerUnavailable, match=f"{HOST}:{chroma_server.port}"):
        index.delete("pets")
    with pytest.raises(ChromaServerUnavailable, match=f"{HOST}:{chroma_server.port}"):
        index.as_retriever().retrieve("red planet")
    assert time.monotonic() - start < 60


def test_bad_names_and_addresses_are_one_line(chroma_server, capsys):
    code = main(
        [
            "ingest",
            str(ROOT / "README.md"),
            "--chroma-host",
            HOST,
            "--chroma-port",
            str(chroma_server.port),
            "--index-name",
            "my papers",
            "--no-progress",
        ]
    )
    assert code == 2 and "index name 'my papers' is not allowed" in capsys.readouterr().err
    port = free_port()
    assert main(["query", "x", "--chroma-host", HOST, "--chroma-port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{HOST}:{port}" in err


def test_unreachable_server_fails_fast_with_host_and_port():
    port = free_port()
    start = time.monotonic()
    with pytest.raises(ChromaServerUnavailable, match=f"127.0.0.1:{port}"):
        MemoryIndex.create(
            chroma_host=HOST,
            chroma_port=port,
            embed_model=HashEmbedding(),
            reader=ParagraphReader(),
            chroma_timeout=2.0,
        )
    assert time.monotonic() - start < 10


def test_hung_server_times_out():
    """A listener that accepts but never answers (a hung server) must not hang us."""
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        start = time.monotonic()
        with pytest.raises(ChromaServerUnavailable, match=f"{HOST}:{port}"):
            connect_chroma_server(HOST, port, timeout=1.5)
        assert time.monotonic() - start < 10


def test_bench_server_finds_the_same_answers_embedded_and_on_the_server(tmp_path, chroma_server):
    from mom_micro.bench import load_dataset
    from mom_micro.bench.server import run_server_bench
    from tests.support.retrieval import squad_file

    result = run_server_bench(
        load_dataset(squad_file(tmp_path)),
        HOST,
        chroma_server.port,
        budgets=[5, 50],
        embed_model=HashEmbedding(),
        reader=ParagraphReader(),
        log=lambda _: None,
    )
    embedded, server = result["systems"]["mom_embedded"], result["systems"]["mom_server"]
    assert embedded["hit@50"] == server["hit@50"] == 1.0
    assert embedded["nodes"] == server["nodes"] == 6
    assert result["open"]["mom_server"]["chunks"] == 6
    assert result["open"]["mom_embedded"]["documents"] == 2
    assert result["open"]["mom_server"]["load_s"] > 0
