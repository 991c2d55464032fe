"""A memory index in Milvus Lite (a ``.db`` file): a second process with only the URI and
the index name retrieves the same; indexes of two names in one file share nothing; a
delete takes a document's vectors and record; an unreachable server is one line; a
writer killed with SIGKILL mid-ingest loses nothing and serves nothing half-written.
Milvus Lite lets one process open a file at a time: every index is closed before
another process opens the file, and a process that finds it open waits, then says so."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mom_micro.cli import main
from mom_micro.retrievers import MemoryIndex
from tests.support.retrieval import HashEmbedding, ParagraphReader
from tests.support.worker import SEQUENCE, document, run_sequence

pytest.importorskip("pymilvus", reason="pymilvus (the scale extra) is not installed")
pytest.importorskip("milvus_lite", reason="milvus-lite (the scale extra) is not installed")

ROOT = Path(__file__).resolve().parents[3]
TEXTS = [ROOT / "docs" / "memory.md", ROOT / "docs" / "ranking.md"]
QUESTIONS = ["how are memories read from a document?", "which reward ranks the answers?"]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}


def _open(uri: Path, name: str = "default", **options) -> MemoryIndex:
    return MemoryIndex.open(
        milvus_uri=str(uri),
        index_name=name,
        reader=ParagraphReader(),
        embed_model=HashEmbedding(),
        **options,
    )


def _top_ids(uri: str, name: str) -> dict[str, list[str]]:
    with MemoryIndex.load(milvus_uri=uri, index_name=name) as index:
        retriever = index.as_retriever(similarity_top_k=3)
        return {q: [hit.node.node_id for hit in retriever.retrieve(q)] for q in QUESTIONS}


def test_a_second_process_with_the_uri_and_the_name_retrieves_the_same(tmp_path, capsys):
    uri = str(tmp_path / "mom.db")
    argv = ["ingest", *map(str, TEXTS), "--milvus-uri", uri, "--index-name", "papers"]
    assert main([*argv, "--no-progress"]) == 0
    assert "2 added" in capsys.readouterr().out
    here = _top_ids(uri, "papers")
    assert all(len(ids) == 3 for ids in here.values())
    script = textwrap.dedent(
        f"""
        import json
        from tests.integration.retrievers.test_milvus import _top_ids
        print(json.dumps(_top_ids({uri!r}, "papers")))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=_env(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == here
    cli = subprocess.run(
        [sys.executable, "-m", "mom_micro.cli", "query", QUESTIONS[0], "--milvus-uri", uri,
         "--index-name", "papers", "-k", "1"],
        cwd=ROOT, env=_env(), capture_output=True, text=True,
    )  # fmt: skip
    first_doc = here[QUESTIONS[0]][0].split("#")[0]
    assert cli.returncode == 0 and cli.stdout.startswith(f"[1] {first_doc} / "), cli.stderr
    assert main([*argv, "--no-progress"]) == 0  # unchanged files are skipped
    assert "2 unchanged" in capsys.readouterr().out


def test_two_index_names_in_one_file_share_nothing(tmp_path, capsys):
    uri = tmp_path / "two.db"
    with _open(uri, "a-b") as first, _open(uri, "a_b") as second:
        first.add_documents([document("only-a-0"), document("shared")])
        second.add_documents([document("only-b-0"), document("shared", version=2)])
        assert first.doc_ids == ["only-a-0", "shared"]
        assert second.doc_ids == ["only-b-0", "shared"]
        first.delete("shared")
        assert second.document("shared") is not None and second.check().ok
        hits = second.as_retriever(similarity_top_k=5).retrieve("river harbor bridge")
        assert {hit.node.metadata["doc_id"] for hit in hits} <= {"only-b-0", "shared"}
        counts = first.stores.vector_counts()
        assert {doc for counter in counts.values() for doc, _ in counter} == {"only-a-0"}
    assert main(["indexes", "--milvus-uri", str(uri)]) == 0
    assert capsys.readouterr().out.splitlines() == ["a-b\t1 documents", "a_b\t2 documents"]


def test_a_delete_removes_a_documents_vectors_and_record(tmp_path, capsys):
    uri = tmp_path / "del.db"
    with _open(uri) as index:
        index.add_documents([document(f"d-{i}") for i in range(3)])
        assert all(index.stores.store(layer).vector_ids("d-1") for layer in ("chunk", "outline"))
    assert main(["delete", "d-1", "--milvus-uri", str(uri)]) == 0
    assert "2 documents in the index" in capsys.readouterr().out
    with _open(uri) as index:
        assert index.doc_ids == ["d-0", "d-2"] and index.catalog.pending() == []
        assert "d-1" not in index.catalog.document_texts()
        for layer in ("outline", "core", "chunk", "sentence"):
            assert index.stores.store(layer).vector_ids("d-1") == []
            assert index.stores.store(layer).vector_ids("d-0")
        assert index.check().ok and index.check().orphans == 0


def test_repair_rebuilds_a_lost_record_from_the_vectors(tmp_path, capsys):
    uri = tmp_path / "repair.db"
    with _open(uri) as index:
        index.add_documents([document("d-0"), document("d-1")])
        index.catalog._delete(["doc:d-1"])  # the record is lost, the vectors are there
        assert "have no record ('d-1')" in str(index.check())
    assert main(["query", "river", "--milvus-uri", str(uri)]) == 2
    error = capsys.readouterr().err
    assert f"mom-micro repair --milvus-uri {uri} --index-name default" in error
    assert main(["repair", "--milvus-uri", str(uri)]) == 0
    assert "rebuilt the records of 1 document(s)" in capsys.readouterr().out
    with _open(uri) as index:
        assert index.doc_ids == ["d-0", "d-1"] and index.check().ok


def test_an_unreachable_milvus_server_is_one_line_naming_the_uri(capsys):
    uri = "http://127.0.0.1:1"
    assert main(["query", "anything", "--milvus-uri", uri]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and f"Milvus at {uri} is not reachable" in error[0], error


def test_a_lite_file_another_process_has_open_is_busy_not_broken(tmp_path):
    uri = tmp_path / "held.db"
    with _open(uri) as index:
        index.add_documents([document("d-0")])
        script = textwrap.dedent(
            f"""
            from mom_micro.retrievers.storage.milvus import MilvusLocation
            MilvusLocation({str(uri)!r}, busy_timeout=1).client()
            """
        )
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, env=_env(), capture_output=True, text=True
        )
        assert done.returncode == 1
        assert f"IndexBusy: {uri}: another process has this Milvus Lite file open" in done.stderr
    assert MemoryIndex.load(milvus_uri=str(uri), embed_model=HashEmbedding()).doc_ids == ["d-0"]


def _worker(uri: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.worker", "--milvus", str(uri), "sequence"],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _state(index: MemoryIndex) -> dict:
    records = {d: (index.document(d).hash, index.document(d).vectors) for d in index.doc_ids}
    chunks = {node.node_id: node.get_content() for node in index.chunk_nodes()}
    return {"records": records, "chunks": chunks}


def test_a_writer_killed_mid_ingest_loses_nothing_and_serves_nothing_half_written(tmp_path):
    """The kill test's sequence (12 added, 6 changed, 2 deleted), killed with SIGKILL at
    random moments, 5 kills: each time the file opens (its check passes), every visible
    document is one whole version, and running the sequence again gives exactly the
    uninterrupted index, with nothing pending and no stray vectors."""
    reference = _worker(tmp_path / "ref.db")
    started = None
    for line in reference.stdout:
        if line.startswith("opened"):
            started = time.monotonic()
    assert reference.wait() == 0 and started is not None
    writing = time.monotonic() - started
    with _open(tmp_path / "ref.db") as index:
        expected = _state(index)
    assert len(expected["records"]) == 10 and SEQUENCE
    rng = random.Random(31)
    kills = run = 0
    while kills < 5 and run < 15:
        run += 1
        uri = tmp_path / f"run{run}.db"
        worker = _worker(uri)
        for line in worker.stdout:
            if line.startswith("opened"):
                break
        time.sleep(rng.uniform(0.1, 0.8 * writing))
        if worker.poll() is None:
            os.kill(worker.pid, signal.SIGKILL)
            kills += 1
        worker.wait()
        with _open(uri) as index:  # a damaged index would be refused here
            assert index.check().ok
            for doc_id in index.doc_ids:
                assert index.document(doc_id).hash in {
                    document(doc_id, version).hash for version in (1, 2)
                }
            hits = index.as_retriever(similarity_top_k=4).retrieve("granite copper falcon")
            assert all(index.document(h.node.metadata["doc_id"]) for h in hits)
            run_sequence(index)
            assert _state(index) == expected
            final = index.check()
            assert final.ok and final.orphans == 0 and final.pending == 0, final
    assert kills == 5


def test_the_langchain_retriever_builds_and_reopens_a_milvus_index(tmp_path):
    from langchain_core.documents import Document as LangChainDocument

    from mom_micro.plugins.langchain import MoMRetriever

    where = {"milvus_uri": str(tmp_path / "lc.db"), "index_name": "lc"}
    doubles = {"reader": ParagraphReader(), "embed_model": HashEmbedding()}
    texts = [document("lc-0").text, document("lc-1").text]
    docs = [LangChainDocument(page_content=t, id=f"lc-{i}") for i, t in enumerate(texts)]
    built = MoMRetriever.from_documents(docs, k=2, **where, **doubles)
    question = texts[1].split("\n")[1]  # one sentence of lc-1's first paragraph
    first = [d.metadata["doc_id"] for d in built.invoke(question)]
    built.index.close()
    reopened = MoMRetriever.from_persist_dir(None, k=2, embed_model=HashEmbedding(), **where)
    assert [d.metadata["doc_id"] for d in reopened.invoke(question)] == first
    assert first[0] == "lc-1"
    reopened.index.close()


def test_listings_read_every_page(tmp_path, monkeypatch):
    from mom_micro.retrievers.storage import milvus_store

    with _open(tmp_path / "pages.db") as index:
        index.add_documents([document(f"p-{i}") for i in range(3)])
        whole = index.stores.vector_counts()
        monkeypatch.setattr(milvus_store, "PAGE", 7)  # a few rows per page
        assert index.stores.vector_counts() == whole
        assert sum(whole["sentence"].values()) > 3 * 7
        assert sum(whole["chunk"].values()) == index.layer_counts()["chunk"]
        assert (
            len(
                index.catalog.chunk_nodes({f"p-{i}": index.document(f"p-{i}").op for i in range(3)})
            )
            == index.layer_counts()["chunk"]
        )


def test_a_collection_whose_creation_was_killed_is_created_again(tmp_path, caplog):
    """Milvus Lite makes a collection's folder before its schema: a writer killed between
    the two left a folder that Milvus Lite would refuse to create again ("File exists")."""
    uri = tmp_path / "torn.db"
    with _open(uri) as index:
        torn = uri / "collections" / "mom_default_outline"
        torn.mkdir(parents=True)
        (torn / "schema.json.tmp").write_text("{")  # as a kill mid-creation leaves it
        index.add_documents([document("d-0")])
        assert index.check().ok and index.layer_counts()["outline"] == 1
    assert "removing collection mom_default_outline" in caplog.text
