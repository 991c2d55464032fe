"""End to end with the real offline models: ExtractiveExtractor + MiniLM on COVID-QA papers."""

from __future__ import annotations

import pytest

from mom_micro.bench import BenchDataset, load_dataset, run_benchmark
from mom_micro.retrievers import MemoryIndex
from tests.conftest import SHARED_DATA


@pytest.fixture(scope="module")
def two_papers() -> BenchDataset:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared evaluation data not found at {SHARED_DATA}")
    full = load_dataset(SHARED_DATA / "qa" / "covidqa.json")
    # the two papers with the most questions per word (about 2,000 words, 53 questions)
    counts = {d: sum(q.doc_id == d for q in full.questions) for d in full.documents}
    dense = sorted(full.documents, key=lambda d: -counts[d] / len(full.documents[d]))[:2]
    return BenchDataset(
        "covid-2",
        {d: full.documents[d] for d in dense},
        [q for q in full.questions if q.doc_id in dense],
    )


def test_mom_retrieves_real_answers_like_fixed_chunks(two_papers):
    result = run_benchmark(
        two_papers, systems=["fixed128", "mom"], budgets=[400], log=lambda _: None
    )
    mom, fixed = result["systems"]["mom"], result["systems"]["fixed128"]
    assert result["questions"] >= 10
    assert mom["hit@400"] >= 0.5
    assert mom["hit@400"] >= fixed["hit@400"] - 0.15
    assert mom["nodes"] > 4 and 20 <= mom["avg_words"] <= 250


def test_default_reader_index_round_trip(tmp_path, two_papers):
    from llama_index.core import Document

    doc_id, text = next(iter(two_papers.documents.items()))
    index = MemoryIndex.from_documents([Document(text=text, id_=doc_id)], tmp_path / "idx")
    question = next(q for q in two_papers.questions if q.doc_id == doc_id)
    hits = index.as_retriever(similarity_top_k=3).retrieve(question.text)
    assert hits and all(
        text[h.node.start_char_idx : h.node.end_char_idx] == h.node.get_content() for h in hits
    )
    reopened = MemoryIndex.load(tmp_path / "idx")
    again = reopened.as_retriever(similarity_top_k=3).retrieve(question.text)
    assert [h.node.node_id for h in again] == [h.node.node_id for h in hits]
