"""Nothing lost, nothing served damaged, in a folder index: writers killed with SIGKILL at
random points, two writers at once, damaged files. Writers are real processes
(:mod:`tests.support.worker`) on the test doubles, so that they start and write fast."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import chromadb
import pytest

from mom_micro.cli import main
from mom_micro.retrievers import IndexDamaged, MemoryIndex
from tests.support.retrieval import HashEmbedding, ParagraphReader
from tests.support.worker import document, run_sequence

ROOT = Path(__file__).resolve().parents[3]


def _worker(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ANONYMIZED_TELEMETRY": "False"}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.worker", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def _open(folder: Path, **options) -> MemoryIndex:
    return MemoryIndex.load(
        folder, reader=ParagraphReader(), embed_model=HashEmbedding(), **options
    )


def _state(index: MemoryIndex) -> dict:
    """What the index holds: each document's hash and vectors per layer, the visible
    vectors' node ids per layer, the chunks' texts; and the chunk a question made of one
    chunk's own words finds first (hashed embeddings tie often, so rankings of short
    questions are not compared)."""
    counts = index.stores.vector_counts()
    visible = {
        layer: sorted(
            f"{doc}/{op}"
            for (doc, op), n in counter.items()
            if index.document(doc) and index.document(doc).op == op
            for _ in range(n)
        )
        for layer, counter in counts.items()
    }
    chunks = {node.node_id: node.get_content() for node in index.chunk_nodes()}
    retriever = index.as_retriever(similarity_top_k=1)
    firsts = {
        node_id: retriever.retrieve(text)[0].node.node_id
        for node_id, text in sorted(chunks.items())[::7]
    }
    records = {d: (index.document(d).hash, index.document(d).vectors) for d in index.doc_ids}
    return {
        "records": records,
        "chunks": chunks,
        "firsts": firsts,
        "visible": {layer: len(ids) for layer, ids in visible.items()},
    }


def test_writers_killed_at_random_points_leave_an_index_that_opens_whole(tmp_path):
    """Runs of add / update / delete killed (SIGKILL) at random moments of their writes,
    20 kills in all: after each, the index opens (its check passes), no committed document misses
    a vector, and running the whole sequence again gives exactly the uninterrupted
    result, with no stray vectors or pending writes left."""
    reference = _worker("--index", str(tmp_path / "ref"), "sequence")
    started = None
    for line in reference.stdout:
        if line.startswith("opened"):
            started = time.monotonic()
    assert reference.wait() == 0
    writing = time.monotonic() - started
    expected = _state(_open(tmp_path / "ref"))
    rng = random.Random(17)
    kills = run = 0
    while kills < 20 and run < 60:  # a busy machine can let a run finish first
        run += 1
        folder = tmp_path / f"run{run}"
        worker = _worker("--index", str(folder), "sequence")
        for line in worker.stdout:
            if line.startswith("opened"):
                break
        time.sleep(rng.uniform(0.0, 0.7 * writing))
        if worker.poll() is None:
            os.kill(worker.pid, signal.SIGKILL)
            kills += 1
        worker.wait()
        index = _open(folder)  # refuses a damaged index
        assert index.check().ok
        for doc_id in index.doc_ids:  # every visible document is one whole version
            assert index.document(doc_id).hash in {
                document(doc_id, version).hash for version in (1, 2)
            }
        run_sequence(index)
        assert _state(index) == expected
        final = index.check()
        assert final.ok and final.orphans == 0 and final.pending == 0, final
    assert kills == 20  # runs that finished before the kill do not count


def test_two_writers_into_one_folder_lose_nothing(tmp_path):
    folder = str(tmp_path / "idx")
    MemoryIndex.create(folder, reader=ParagraphReader(), embed_model=HashEmbedding())
    writers = [_worker("--index", folder, "ingest", prefix, "15") for prefix in ("a", "b")]
    outputs = [w.communicate(timeout=300)[0] for w in writers]
    assert [w.returncode for w in writers] == [0, 0], outputs
    index = _open(tmp_path / "idx")
    assert len(index) == 30 and index.check().ok
    assert index.check().orphans == 0


def test_a_damaged_index_is_refused_and_repair_drops_a_document_only_when_told(tmp_path, capsys):
    folder = tmp_path / "idx"
    index = MemoryIndex.from_documents(
        [document(f"d-{i}") for i in range(4)],
        folder,
        reader=ParagraphReader(),
        embed_model=HashEmbedding(),
    )
    record = index.document("d-1")
    client = chromadb.PersistentClient(path=str(folder / "chroma"))
    chunks = client.get_collection("mom-default-chunk")
    chunks.delete(ids=[f"d-1#chunk-0@{record.op}"])
    with pytest.raises(IndexDamaged, match=r"d-1: chunk 5/6.*mom-micro repair --index"):
        _open(folder)
    assert main(["query", "river", "--index", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "damaged" in err
    # without --drop nothing is deleted: the command says what --drop would delete
    assert main(["repair", "--index", str(folder)]) == 2
    out, err = capsys.readouterr()
    assert "'d-1'" in out and "--drop" in err and "1 document(s)" in err
    assert chunks.count() > 0 and _open(folder, check=False).doc_ids == ["d-0", "d-1", "d-2", "d-3"]
    assert main(["repair", "--drop", "--index", str(folder)]) == 0
    assert "dropped (ingest them again): d-1" in capsys.readouterr().out
    repaired = _open(folder)
    assert repaired.doc_ids == ["d-0", "d-2", "d-3"] and repaired.check().ok
    assert repaired.add_documents([document("d-1")]).added == ["d-1"]
    assert _open(folder).check().ok


def test_lost_records_are_refused_and_repair_rebuilds_them_from_the_vectors(tmp_path, capsys):
    folder = tmp_path / "idx"
    index = MemoryIndex.from_documents(
        [document(f"d-{i}") for i in range(3)],
        folder,
        reader=ParagraphReader(),
        embed_model=HashEmbedding(),
    )
    before = {d: index.document(d).vectors for d in index.doc_ids}
    vectors = sum(sum(v.values()) for v in before.values())
    catalog = chromadb.PersistentClient(path=str(folder / "chroma")).get_collection(
        "mom-default-catalog"
    )
    catalog.delete(where={"kind": "doc"})  # every document record gone, the vectors stay
    assert main(["query", "river", "--index", str(folder)]) == 2
    err = capsys.readouterr().err
    assert f"{vectors} vectors of 3 document(s) have no record" in err
    assert main(["repair", "--index", str(folder)]) == 0
    assert "rebuilt the records of 3 document(s)" in capsys.readouterr().out
    repaired = _open(folder)
    assert {d: repaired.document(d).vectors for d in repaired.doc_ids} == before
    assert repaired.as_retriever(similarity_top_k=2).retrieve("river")
    # the rebuilt records carry no hash: the next ingest reads the documents again
    assert repaired.add_documents([document("d-0")]).updated == ["d-0"]


def test_an_unreadable_record_names_its_document_and_drop_lets_it_be_ingested_again(
    tmp_path, capsys
):
    folder = tmp_path / "idx"
    MemoryIndex.from_documents(
        [document(f"d-{i}") for i in range(2)],
        folder,
        reader=ParagraphReader(),
        embed_model=HashEmbedding(),
    )
    catalog = chromadb.PersistentClient(path=str(folder / "chroma")).get_collection(
        "mom-default-catalog"
    )
    text = catalog.get(ids=["doc:d-1"], include=["documents"])["documents"][0]
    catalog.update(ids=["doc:d-1"], documents=[text[: len(text) // 2]], embeddings=[[0.0]])
    assert main(["query", "river", "--index", str(folder)]) == 2
    assert "'d-1'" in capsys.readouterr().err
    assert main(["repair", "--index", str(folder)]) == 2
    assert "--drop" in capsys.readouterr().err
    assert main(["repair", "--drop", "--index", str(folder)]) == 0
    repaired = _open(folder)
    assert repaired.doc_ids == ["d-0"]
    assert repaired.add_documents([document("d-1")]).added == ["d-1"]
    assert _open(folder).check().ok


def test_two_first_ingests_into_one_new_folder_create_one_index(tmp_path):
    folder = tmp_path / "new"
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", _FIRST_INGEST, str(folder), f"p{i}-"],
            env={**os.environ, "PYTHONPATH": str(ROOT), "ANONYMIZED_TELEMETRY": "False"},
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err[-2000:]
    index = _open(folder)
    assert sorted(index.doc_ids) == [f"p{i}-d-{j}" for i in range(2) for j in range(3)]
    assert index.check().ok


_FIRST_INGEST = """
import sys
from mom_micro.retrievers import MemoryIndex
from tests.support.retrieval import HashEmbedding, ParagraphReader
from tests.support.worker import document
index = MemoryIndex.open(sys.argv[1], reader=ParagraphReader(), embed_model=HashEmbedding())
index.add_documents([document(sys.argv[2] + f"d-{j}") for j in range(3)])
"""


@pytest.mark.parametrize(
    "damage",
    [
        "marker list",
        "marker without store",
        "marker version",
        "database removed",
        "database random",
        "catalog removed",
    ],
)
def test_damaged_files_are_refused_in_one_line(tmp_path, capsys, damage):
    folder = tmp_path / "idx"
    MemoryIndex.from_documents(
        [document("d-0")], folder, reader=ParagraphReader(), embed_model=HashEmbedding()
    )
    marker = folder / "mom_index.json"
    database = folder / "chroma" / "chroma.sqlite3"
    if damage == "marker list":
        marker.write_text("[1, 2]")
    elif damage == "marker without store":
        marker.write_text(json.dumps({"format": "mom-micro-memory-index", "version": 3}))
    elif damage == "marker version":
        marker.write_text(
            json.dumps({"format": "mom-micro-memory-index", "version": "two", "store": {}})
        )
    elif damage == "database removed":
        database.unlink()
    elif damage == "database random":
        database.write_bytes(os.urandom(4096))
    else:
        chromadb.PersistentClient(path=str(folder / "chroma")).delete_collection(
            "mom-default-catalog"
        )
    # a fresh process, as a user would run it (Chroma caches clients per process)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ANONYMIZED_TELEMETRY": "False"}
    run = subprocess.run(
        [sys.executable, "-m", "mom_micro.cli", "query", "river", "--index", str(folder)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert run.returncode == 2, run.stderr[-2000:]
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert str(folder) in run.stderr
