"""The retrieval benchmark: a tiny run of every system, scopes, and the weight sweep."""

from __future__ import annotations

import json

import pytest

from mom_micro.bench import (
    SYSTEMS,
    BenchDataset,
    Question,
    evaluate_systems,
    load_dataset,
    run_benchmark,
    sweep_layer_weights,
    write_retrieval_outputs,
)
from tests.support.retrieval import PETS, SPACE, HashEmbedding, ParagraphReader, squad_file


@pytest.mark.parametrize("scope", ["corpus", "document"])
def test_tiny_run_of_every_system(tmp_path, scope):
    dataset = load_dataset(squad_file(tmp_path))
    result = run_benchmark(
        dataset,
        budgets=[5, 50],
        scope=scope,
        embed_model=HashEmbedding(),
        reader=ParagraphReader(),
        log=lambda _: None,
    )
    assert set(result["systems"]) == set(SYSTEMS)
    for figures in result["systems"].values():
        for key in (
            "hit@5",
            "hit@50",
            "recall@5",
            "recall@50",
            "ingest_s",
            "nodes",
            "avg_words",
            "query_p50_ms",
            "query_p95_ms",
            "retrieve_p50_ms",
        ):
            assert key in figures
        assert figures["hit@5"] <= figures["hit@50"]
        assert figures["retrieve_p50_ms"] <= figures["query_p50_ms"]
        assert figures["hit_questions"] == 2
    # 50 words hold either tiny document whole: every system must find both answers
    assert result["systems"]["mom"]["hit@50"] == 1.0
    assert result["systems"]["fixed128"]["hit@50"] == 1.0
    assert result["systems"]["hybrid128"]["hit@50"] == 1.0
    assert result["systems"]["llamaindex_hybrid"]["hit@50"] == 1.0
    assert set(result["winners"]) == {"hit@5", "hit@50", "recall@5", "recall@50"}
    paths = write_retrieval_outputs(result, tmp_path / "out.json")
    assert [p.suffix for p in paths] == [".json", ".md", ".png"]
    assert json.loads(paths[0].read_text())["systems"]["mom"]["nodes"] == 6
    assert "| mom |" in paths[1].read_text()
    assert paths[2].read_bytes()[:4] == b"\x89PNG"


def test_each_question_is_embedded_once_and_its_vector_goes_to_every_system():
    dataset = BenchDataset(
        "d",
        {"a": "Cats\nCats purr softly.", "b": "Dogs\nCats purr softly."},
        [Question("b", "cats purr", ("Dogs",))],
    )
    embed = HashEmbedding()
    calls = []
    original = embed.get_query_embedding
    object.__setattr__(embed, "get_query_embedding", lambda q: calls.append(q) or original(q))
    seen = []

    def system(name):
        def retrieve(query, doc_id):
            seen.append((name, query.query_str, tuple(query.embedding), doc_id))
            return ["Dogs Cats purr softly."] if doc_id == "b" else ["Cats purr softly."]

        return retrieve

    figures = evaluate_systems(
        {"x": system("x"), "y": system("y")}, dataset, [10], "document", embed
    )
    assert calls == ["cats purr"]  # once, for both systems
    assert {(q, e, d) for _, q, e, d in seen} == {("cats purr", tuple(original("cats purr")), "b")}
    assert figures["x"]["hit@10"] == figures["y"]["hit@10"] == 1.0
    corpus = evaluate_systems({"x": system("x")}, dataset, [10], "corpus", embed)
    assert corpus["x"]["hit@10"] == 0.0 and seen[-1][3] is None


def test_sweep_scores_each_weight_point_on_one_search_per_question():
    from llama_index.core import Document

    from mom_micro.retrievers import LayerWeights, MemoryIndex

    index = MemoryIndex.from_documents(
        [Document(text=PETS, id_="pets"), Document(text=SPACE, id_="space")],
        reader=ParagraphReader(),
        embed_model=HashEmbedding(),
    )
    dataset = BenchDataset(
        "d",
        {"pets": PETS, "space": SPACE},
        [
            Question("space", "Which planet is red?", ("iron oxide dust",)),
            Question("pets", "Where do birds go in winter?", ("migrate south",)),
        ],
    )
    grid = [LayerWeights(lexical=0), LayerWeights()]
    rows = sweep_layer_weights(index, dataset, grid, max_words=20, similarity_top_k=1)
    assert [row["lexical"] for row in rows] == [0.0, 0.5]
    assert all(row["hit@20"] == 1.0 and row["recall@20"] == 1.0 for row in rows)

    # at 6 words the plain cut keeps the chunk's first words; the assembled context its
    # best sentence ("Parrots can imitate human speech. Many birds migrate south ...")
    dataset.questions = dataset.questions[1:]
    [plain] = sweep_layer_weights(index, dataset, grid[1:], max_words=6, similarity_top_k=1)
    [assembled] = sweep_layer_weights(index, dataset, grid[1:], max_words=6, assemble=True)
    assert (plain["hit@6"], assembled["hit@6"]) == (0.0, 1.0)


def _long_document(topic: str, paragraphs: int = 6) -> str:
    """A document long enough for several 128-token chunks, each paragraph about
    ``topic`` and one numbered fact."""
    return "\n\n".join(
        f"{topic.title()} fact {i}: the {topic} number {i} is recorded here. "
        + " ".join(f"{topic} detail {i}-{j} is noted." for j in range(20))
        for i in range(paragraphs)
    )


def test_llamaindex_hybrid_fuses_bm25_and_vectors_by_reciprocal_rank():
    from llama_index.core import Document

    from mom_micro.bench.retrieval import _build_baseline

    documents = [
        Document(text=_long_document("comet"), id_="a"),
        Document(text=_long_document("volcano"), id_="b"),
    ]
    retrieve, nodes = _build_baseline(
        "llamaindex_hybrid", documents, HashEmbedding(), max_words=800, run_id="t1"
    )
    fixed, fixed_nodes = _build_baseline(
        "fixed128", documents, HashEmbedding(), max_words=800, run_id="t1"
    )
    assert [n.get_content() for n in nodes] == [n.get_content() for n in fixed_nodes]
    assert len({n.ref_doc_id for n in nodes}) == 2 and len(nodes) > 6
    from llama_index.core.schema import QueryBundle

    question = "volcano fact 3"
    query = QueryBundle(question, embedding=HashEmbedding().get_query_embedding(question))
    texts = retrieve(query, None)
    assert "volcano number 3 is recorded" in texts[0]  # first by both BM25 and vectors
    assert len(texts) == len(set(texts))  # a chunk both found is returned once
    # document scope: only that document's chunks, though BM25 ranks the other's higher
    scoped = retrieve(QueryBundle(question, embedding=query.embedding), "a")
    assert scoped and all(text.startswith(("Comet", "comet")) for text in scoped)
    assert all(text in {n.get_content() for n in nodes if n.ref_doc_id == "a"} for text in scoped)


def test_markdown_names_the_best_system_at_each_budget(tmp_path):
    result = {
        "dataset": "d",
        "docs": 1,
        "questions": 2,
        "scope": "corpus",
        "budgets": [100, 400],
        "systems": {
            "fixed128": {
                "hit@100": 0.5,
                "hit@400": 0.7,
                "recall@100": 0.6,
                "recall@400": 0.9,
                "hit_questions": 2,
            },
            "mom": {
                "hit@100": 0.4,
                "hit@400": 0.7,
                "recall@100": 0.65,
                "recall@400": 0.8,
                "hit_questions": 2,
            },
        },
    }
    from mom_micro.bench.retrieval import markdown_table

    table = markdown_table(result)
    assert "| 100 | fixed128 (0.5) | mom (0.65) |" in table
    assert "| 400 | fixed128, mom (0.7) | fixed128 (0.9) |" in table
