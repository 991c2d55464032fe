"""On Milvus the lexical evidence is Milvus's own BM25 and a client holds no chunks: it
ranks as the client's BM25 does with the corpus's statistics (Milvus Lite's scores differ
from the exact ones by up to 8%: docs/benchmarks.md), a scope keeps to its
documents, a reopened index reads no chunk and lists no vector until it is asked, and a
vector missing at open is still found."""

from __future__ import annotations

from pathlib import Path

import pytest

from mom_micro.retrievers import MemoryIndex
from mom_micro.retrievers.lexical import LexicalIndex
from mom_micro.retrievers.nodes import lexical_text
from mom_micro.retrievers.storage.errors import IndexDamaged
from mom_micro.retrievers.word_search import StoreLexical
from tests.support.retrieval import HashEmbedding, ParagraphReader

pytest.importorskip("pymilvus", reason="pymilvus (the scale extra) is not installed")
pytest.importorskip("milvus_lite", reason="milvus-lite (the scale extra) is not installed")

from mom_micro.retrievers.storage.milvus import MilvusCatalog  # noqa: E402
from mom_micro.retrievers.storage.milvus_store import MilvusLayerStore  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "support" / "data"
DOCS = ["license_agreement.txt", "annual_report_10k.txt", "plain_essay.txt"]
QUESTIONS = [
    "What may the licensee do with the demonstration license?",
    "Which risk factors concern the weather?",
    "confidential information disclosure",
]


def _open(uri: Path, **options) -> MemoryIndex:
    return MemoryIndex.open(
        milvus_uri=str(uri), reader=ParagraphReader(), embed_model=HashEmbedding(), **options
    )


@pytest.fixture(scope="module")
def milvus_file(tmp_path_factory) -> Path:
    from llama_index.core import Document

    uri = tmp_path_factory.mktemp("bm25") / "mom.db"
    with _open(uri) as index:
        index.add_documents([Document(text=(DATA / n).read_text(), id_=n) for n in DOCS])
    return uri


def test_milvus_scores_words_as_the_client_bm25_does_over_the_corpus(milvus_file):
    with _open(milvus_file) as index:
        assert isinstance(index.lexical, StoreLexical)
        client = LexicalIndex()
        client.add(
            ((n.metadata["doc_id"], int(n.metadata["unit"])), lexical_text(n))
            for n in index.chunk_nodes()
        )
        for question in QUESTIONS:
            ours, milvus = client.search(question), index.lexical.search(question)
            best = ours.top(5)
            assert best and milvus.top(5) == best
            for key in best:
                assert milvus.get(key) == pytest.approx(ours.get(key), rel=0.1)


def test_the_candidates_get_their_exact_scores_beyond_the_top(milvus_file):
    with _open(milvus_file) as index:
        assert isinstance(index.lexical, StoreLexical)
        question = QUESTIONS[2]
        everything = index.lexical.search(question)
        narrow = StoreLexical(index.lexical.store, index.committed.version, top_k=2)
        beyond = everything.top(6)[2:]
        found = narrow.search(question, among=beyond)
        assert found.top(10)[:2] == everything.top(2)
        for key in beyond:
            assert (
                found.get(key) == pytest.approx(everything.get(key), abs=1e-6)
                and found.get(key) > 0
            )


def test_a_document_scope_keeps_to_its_documents(milvus_file):
    with _open(milvus_file) as index:
        scoped = index.lexical.search("risk factors", doc_ids=["annual_report_10k.txt"])
        assert scoped.top(50) and {key[0] for key in scoped.top(50)} == {"annual_report_10k.txt"}
        assert index.lexical.search(QUESTIONS[2], doc_ids=[]).top(5) == []


def test_a_reopened_index_reads_no_chunk_and_lists_no_vector_until_asked(milvus_file, monkeypatch):
    def refused(*args, **kwargs):
        raise AssertionError("read at open")

    monkeypatch.setattr(MilvusCatalog, "_chunk_rows", refused)
    monkeypatch.setattr(MilvusLayerStore, "vector_ids", refused)
    with MemoryIndex.load(milvus_uri=str(milvus_file), embed_model=HashEmbedding()) as index:
        assert index.committed.on_demand and len(index) == 3
        hits = index.as_retriever(similarity_top_k=3).retrieve(QUESTIONS[0])
        assert hits[0].node.metadata["doc_id"] == "license_agreement.txt"
        assert hits[0].node.get_content() and hits[0].node.metadata["score_lexical"] > 0


def test_a_vector_missing_at_open_is_still_found(tmp_path):
    from llama_index.core import Document

    uri = tmp_path / "damaged.db"
    with _open(uri) as index:
        index.add_documents([Document(text=(DATA / DOCS[0]).read_text(), id_=DOCS[0])])
        store = index.stores.store("chunk")
        store.delete_nodes(node_ids=store.vector_ids()[:1])
    with pytest.raises(IndexDamaged, match="miss vectors"):
        MemoryIndex.load(milvus_uri=str(uri), embed_model=HashEmbedding())
