"""A real Chroma server on loopback: index, query, restart the server, query again.

The server is started by the fixture below (``chroma run`` from the chromadb package),
so the plain ``make test`` that CI runs exercises it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from llama_index.core import Document

from mom_micro.retrievers import ChromaServerUnavailable, MemoryIndex, connect_chroma_server
from tests.support.retrieval import PETS, SPACE, HashEmbedding, ParagraphReader

HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class ChromaServer:
    """``chroma run`` on loopback, started and stopped by the test."""

    def __init__(self, path: Path, port: int) -> None:
        exe = Path(sys.executable).with_name("chroma")
        self.cmd = [
            str(exe) if exe.exists() else shutil.which("chroma") or "chroma",
            "run",
            "--path",
            str(path),
            "--host",
            HOST,
            "--port",
            str(port),
        ]
        self.port = port
        self.proc: subprocess.Popen | None = None
        self.log = path.with_suffix(".log")

    def start(self, timeout: float = 60.0) -> None:
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(
                    f"chroma run exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}"
                )
            try:
                connect_chroma_server(HOST, self.port, timeout=2.0)
                return
            except ChromaServerUnavailable:
                time.sleep(0.3)
        self.stop()
        pytest.fail(f"chroma server did not answer within {timeout}s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def chroma_server(tmp_path):
    if not (Path(sys.executable).with_name("chroma").exists() or shutil.which("chroma")):
        pytest.skip("the `chroma` CLI (chromadb package) is not installed")
    server = ChromaServer(tmp_path / "chroma-data", _free_port())
    server.start()
    yield server
    server.stop()


def _ask(index: MemoryIndex) -> list[list[str]]:
    retriever = index.as_retriever(similarity_top_k=3)
    return [
        [r.node.node_id for r in retriever.retrieve(q)]
        for q in ("red planet Mars", "wolves bark", "telescope mirrors")
    ]


def test_index_restart_and_same_answers(tmp_path, chroma_server):
    docs = [Document(text=PETS, id_="pets"), Document(text=SPACE, id_="space")]
    index = MemoryIndex.from_documents(
        docs,
        tmp_path / "idx",
        reader=ParagraphReader(),
        embed_model=HashEmbedding(),
        chroma_host=HOST,
        chroma_port=chroma_server.port,
    )
    before = _ask(index)
    assert before[0][0] == "space#chunk-0" and before[1][0] == "pets#chunk-1"

    chroma_server.restart()
    assert _ask(index) == before  # the same client reconnects
    reopened = MemoryIndex.load(
        tmp_path / "idx", reader=ParagraphReader(), embed_model=HashEmbedding()
    )
    assert reopened.store_config["kind"] == "chroma-server"
    assert _ask(reopened) == before

    chroma_server.stop()
    start = time.monotonic()
    with pytest.raises(ChromaServerUnavailable, match=f"{HOST}:{chroma_server.port}"):
        index.as_retriever().retrieve("red planet")
    with pytest.raises(ChromaServerUnavailable, match=f"{HOST}:{chroma_server.port}"):
        MemoryIndex.load(tmp_path / "idx", embed_model=HashEmbedding(), chroma_timeout=2.0)
    assert time.monotonic() - start < 30


def test_unreachable_server_fails_fast_with_host_and_port(tmp_path):
    port = _free_port()
    start = time.monotonic()
    with pytest.raises(ChromaServerUnavailable, match=f"127.0.0.1:{port}"):
        MemoryIndex.create(
            tmp_path / "x",
            chroma_host=HOST,
            chroma_port=port,
            embed_model=HashEmbedding(),
            reader=ParagraphReader(),
            chroma_timeout=2.0,
        )
    assert time.monotonic() - start < 10


def test_hung_server_times_out(tmp_path):
    """A listener that accepts but never answers (a hung server) must not hang us."""
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        start = time.monotonic()
        with pytest.raises(ChromaServerUnavailable, match=f"{HOST}:{port}"):
            connect_chroma_server(HOST, port, timeout=1.5)
        assert time.monotonic() - start < 10
