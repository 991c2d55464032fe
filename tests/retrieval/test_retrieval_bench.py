"""``mom-micro bench retrieval``: data readers, metrics, a tiny end-to-end run, the CLI."""

from __future__ import annotations

import json

import pytest

from mom_micro.cli import main
from mom_micro.retrievers import bench
from mom_micro.retrievers.bench import (
    BenchDataset,
    Question,
    answer_hit,
    answer_recall,
    load_dataset,
    normalize_answer,
    run_benchmark,
    write_outputs,
)

from .conftest import PETS, SPACE, HashEmbedding, ParagraphReader


def _squad(tmp_path):
    data = {"data": [
        {"paragraphs": [{"context": PETS, "document_id": 1, "qas": [
            {"question": "Which animal was domesticated from wolves?", "id": 1,
             "answers": [{"text": "Dogs were domesticated from wolves", "answer_start": 0}]},
            {"question": "unanswerable", "id": 2, "answers": [], "is_impossible": True}]}]},
        {"paragraphs": [{"context": SPACE, "document_id": 2, "qas": [
            {"question": "What speed do orbital launches need?", "id": 3,
             "answers": [{"text": "about 7.8 km per second.", "answer_start": 0}]}]}]},
    ]}
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(data))
    return path


def test_metrics_follow_the_definitions():
    assert normalize_answer("  The  Answer,  ") == "the answer"
    assert answer_hit("so THE answer is here", ["the answer."])
    assert not answer_hit("the answ er", ["the answer"])
    assert answer_recall("alpha beta", ["alpha, gamma"]) == 0.5
    assert bench._cut(["one two three", "four five"], 4) == "one two three four"


def test_readers_and_limit(tmp_path):
    squad = load_dataset(_squad(tmp_path))
    assert list(squad.documents) == ["1", "2"] and len(squad.questions) == 2
    assert len(load_dataset(_squad(tmp_path), limit_docs=1).questions) == 1
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text(json.dumps({"input": PETS, "instructions": ["q1", "q2"],
                                 "outputs": ["Cats purr", "birds"]}) + "\n")
    leval = load_dataset(jsonl)
    assert [q.answers for q in leval.questions] == [("Cats purr",), ("birds",)]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": 1}\n')
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        load_dataset(bad)
    with pytest.raises(FileNotFoundError):
        load_dataset(tmp_path / "none.json")


@pytest.mark.parametrize("scope", ["corpus", "document"])
def test_tiny_run_of_every_system(tmp_path, scope):
    dataset = load_dataset(_squad(tmp_path))
    result = run_benchmark(dataset, budgets=[5, 50], scope=scope, embed_model=HashEmbedding(),
                           reader=ParagraphReader(), log=lambda _: None)
    assert set(result["systems"]) == set(bench.SYSTEMS)
    for figures in result["systems"].values():
        for key in ("hit@5", "hit@50", "recall@5", "recall@50", "ingest_s", "nodes",
                    "avg_words", "query_p50_ms", "query_p95_ms"):
            assert key in figures
        assert figures["hit@5"] <= figures["hit@50"]
        assert figures["hit_questions"] == 2
    # 50 words hold either tiny document whole: every system must find both answers
    assert result["systems"]["mom"]["hit@50"] == 1.0
    assert result["systems"]["fixed128"]["hit@50"] == 1.0
    assert result["systems"]["hybrid128"]["hit@50"] == 1.0
    paths = write_outputs(result, tmp_path / "out.json")
    assert [p.suffix for p in paths] == [".json", ".md", ".png"]
    assert json.loads(paths[0].read_text())["systems"]["mom"]["nodes"] == 6
    assert "| mom |" in paths[1].read_text()
    assert paths[2].read_bytes()[:4] == b"\x89PNG"


def test_document_scope_only_searches_the_question_document():
    dataset = BenchDataset("d", {"a": "Cats\nCats purr softly.", "b": "Dogs\nCats purr softly."},
                           [Question("b", "cats purr", ("Dogs",))])
    seen = []

    def retrieve(query, doc_id):
        seen.append(doc_id)
        return ["Dogs Cats purr softly."] if doc_id == "b" else ["Cats purr softly."]

    figures = bench._evaluate(retrieve, dataset, [10], "document")
    assert seen == ["b"] and figures["hit@10"] == 1.0
    assert bench._evaluate(retrieve, dataset, [10], "corpus")["hit@10"] == 0.0


def test_cli_reports_bad_input_in_one_line(tmp_path, capsys):
    assert main(["bench", "retrieval", "--dataset", str(tmp_path / "nope.json"),
                 "--out", str(tmp_path / "o.json")]) == 2
    assert "no dataset file" in capsys.readouterr().err
    assert main(["bench", "retrieval", "--dataset", str(_squad(tmp_path)), "--systems",
                 "fixed999", "--out", str(tmp_path / "o.json")]) == 2
    assert "unknown system" in capsys.readouterr().err
    assert main(["query", "what?", "--index", str(tmp_path / "nothing")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_sweep_scores_each_weight_point_on_one_search_per_question():
    from llama_index.core import Document

    from mom_micro.retrievers import LayerWeights, MemoryIndex

    index = MemoryIndex.from_documents(
        [Document(text=PETS, id_="pets"), Document(text=SPACE, id_="space")],
        reader=ParagraphReader(), embed_model=HashEmbedding())
    dataset = BenchDataset("d", {"pets": PETS, "space": SPACE},
                           [Question("space", "Which planet is red?", ("iron oxide dust",)),
                            Question("pets", "Where do birds go in winter?", ("migrate south",))])
    grid = [LayerWeights(lexical=0), LayerWeights()]
    rows = bench.sweep_layer_weights(index, dataset, grid, budget=20, top_k=1)
    assert [row["lexical"] for row in rows] == [0.0, 0.5]
    assert all(row["hit@20"] == 1.0 and row["recall@20"] == 1.0 for row in rows)
