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
        ):
            assert key in figures
        assert figures["hit@5"] <= figures["hit@50"]
        assert figures["hit_questions"] == 2
    # 50 words hold either tiny document whole: every system must find both answers
    assert result["systems"]["mom"]["hit@50"] == 1.0
    assert result["systems"]["fixed128"]["hit@50"] == 1.0
    assert result["systems"]["hybrid128"]["hit@50"] == 1.0
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
    rows = sweep_layer_weights(index, dataset, grid, budget=20, top_k=1)
    assert [row["lexical"] for row in rows] == [0.0, 0.5]
    assert all(row["hit@20"] == 1.0 and row["recall@20"] == 1.0 for row in rows)
