"""``bench scale`` without indexes: the corpus (order, ids, each text once, the errors),
how the sizes are reached across locations, the slopes and the goals."""

from __future__ import annotations

import json

import pytest

from mom_micro.bench import scale
from mom_micro.bench.scale import judge_goals, loglog_slope, run_scale_bench
from mom_micro.bench.scale_corpus import (
    ScaleInputError,
    build_corpus,
    check_sizes,
    find_distractors,
)


def _qa(folder, texts=("Cats purr when they are content.", "Owls hunt at night.")):
    path = folder / "qa.jsonl"
    path.write_text(
        "".join(
            json.dumps({"input": t, "instructions": ["Who?"], "outputs": [t.split()[0]]}) + "\n"
            for t in texts
        )
    )
    return path


def _files(folder, texts):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (folder / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    return folder


def test_the_corpus_is_the_qa_documents_then_each_new_text_once_in_path_order(tmp_path):
    docs = _files(
        tmp_path / "docs",
        {
            "b.txt": "Bees make honey.",
            "a.txt": "Ants carry leaves.",
            "copy.txt": "  Owls hunt at night.\n",  # a QA document's text again
            "c.txt": "Ants carry leaves.",  # a.txt's text again
            "empty.txt": "   \n",
            "latin1.txt": "caf\xe9".encode("latin-1"),
        },
    )
    corpus = build_corpus(_qa(tmp_path), [str(docs / "*.txt")])
    assert [d["id"] for d in corpus.documents] == [
        "doc-1",
        "doc-2",
        str((docs / "a.txt").resolve()),
        str((docs / "b.txt").resolve()),
    ]
    assert corpus.documents[0] == {
        "id": "doc-1",
        "path": str(tmp_path / "qa.jsonl"),
        "record": "doc-1",
    }
    assert corpus.documents[2]["path"] == corpus.documents[2]["id"]
    assert (corpus.qa_documents, corpus.skipped_duplicates, corpus.skipped_unreadable) == (2, 2, 2)


def test_a_folder_names_every_file_under_it_and_globs_take_double_stars(tmp_path):
    docs = _files(tmp_path / "docs" / "deep", {"x.rst.txt": "X.", "y.md": "Y."})
    assert find_distractors([str(tmp_path / "docs")]) == sorted(
        [(docs / "x.rst.txt").resolve(), (docs / "y.md").resolve()]
    )
    assert find_distractors([str(tmp_path / "**" / "*.rst.txt")]) == [
        (docs / "x.rst.txt").resolve()
    ]


@pytest.mark.parametrize(
    "patterns, message",
    [
        ([], "give --distractors"),
        (["{missing}/*.txt"], "names no file"),
        (["{dupes}"], "no usable file (1 repeat a text, 0 are empty"),
    ],
)
def test_distractors_that_give_nothing_are_refused_by_name(tmp_path, patterns, message):
    _files(tmp_path / "dupes", {"a.txt": "Cats purr when they are content."})
    patterns = [p.format(missing=tmp_path / "missing", dupes=tmp_path / "dupes") for p in patterns]
    with pytest.raises(ScaleInputError, match=message.replace("(", r"\(")):
        build_corpus(_qa(tmp_path), patterns)


def test_sizes_must_be_positive_and_grow():
    assert check_sizes([40, 120]) == [40, 120]
    for sizes, message in (([], "at least one"), ([0, 5], "at least 1"), ([50, 40], "grow")):
        with pytest.raises(ScaleInputError, match=message):
            check_sizes(sizes)


def test_unknown_locations_are_refused():
    with pytest.raises(ScaleInputError, match="unknown location.*'qdrant'"):
        scale.check_locations(["chroma", "qdrant"])


# -- reaching the sizes ----------------------------------------------------------------------
class FakeClients:
    """Stands in for the fresh processes: each document holds ``chunks`` chunks, and the
    ingest stops once the target is reached (as the real one does); every call is kept."""

    def __init__(self, chunks: dict[str, int]) -> None:
        self.chunks = chunks
        self.held: dict[str, int] = {}
        self.calls: list[tuple[str, list[str], int | None]] = []

    def ingest(self, where, documents, target, required):
        place = json.dumps(where, sort_keys=True)
        held = self.held.get(place, 0)
        added = []
        for document in documents:
            if len(added) >= required and target is not None and held >= target:
                break
            added.append(document["id"])
            held += self.chunks[document["id"]]
        self.calls.append((place, added, target))
        before, self.held[place] = self.held.get(place, 0), held
        return {
            "added": added,
            "rejected": [],
            "chunks_added": held - before,
            "chunks": held,
            "documents": len(added),
            "open_s": 0.1,
            "ingest_s": 1.0,
            "chunks_per_s": float(held - before),
            "rss_before_add_mb": 300.0,
            "peak_rss_mb": 400.0,
        }

    def ask(self, where, dataset, limit_docs, budget):
        held = self.held[json.dumps(where, sort_keys=True)]
        return {
            "import_s": 1.0,
            "open_s": 0.5,
            "model_s": 0.2,
            "first_query_s": 0.1,
            "first_answer_s": 0.8,
            f"hit@{budget}": 0.5,
            f"recall@{budget}": 0.6,
            "hit_questions": 2,
            "query_p50_ms": 10.0 + held / 100,
            "query_p95_ms": 20.0,
            "peak_rss_mb": 350.0,
        }


@pytest.fixture
def corpus(tmp_path):
    docs = _files(tmp_path / "docs", {f"{i:02}.txt": f"Distractor number {i}." for i in range(10)})
    return build_corpus(_qa(tmp_path), [str(docs)])


def _run(monkeypatch, corpus, tmp_path, sizes, qa_chunks=3, per_file=4):
    clients = FakeClients(
        {d["id"]: qa_chunks if "record" in d else per_file for d in corpus.documents}
    )
    monkeypatch.setattr(scale, "ingest_step", clients.ingest)
    monkeypatch.setattr(scale, "ask_questions", clients.ask)
    locations = ["chroma", "milvus-lite"]
    result = run_scale_bench(corpus, sizes, locations, work=tmp_path / "work", log=lambda m: None)
    return result, clients


def test_each_size_grows_every_location_by_the_same_new_documents(monkeypatch, corpus, tmp_path):
    result, clients = _run(monkeypatch, corpus, tmp_path, [10, 20])
    chroma, milvus = (result["locations"][n]["steps"] for n in ("chroma", "milvus-lite"))
    assert [s["chunks"] for s in chroma] == [s["chunks"] for s in milvus] == [10, 22]
    first, second = clients.calls[0][1], clients.calls[2][1]
    assert first == ["doc-1", "doc-2", *[d["id"] for d in corpus.documents[2:3]]]
    assert clients.calls[1][1:] == (first, None)  # milvus: the same documents, no target
    assert not set(first) & set(second) and clients.calls[3][1] == second
    assert result["unreached"] == []
    assert result["locations"]["chroma"]["slopes"]["query_p50_ms"] == loglog_slope(
        [10, 22], [10.1, 10.22]
    )


def test_a_size_the_documents_cannot_reach_ends_the_run_and_is_named(monkeypatch, corpus, tmp_path):
    result, _ = _run(monkeypatch, corpus, tmp_path, [10, 100, 1000])
    assert [s["chunks"] for s in result["locations"]["milvus-lite"]["steps"]] == [10, 46]
    assert result["unreached"] == [100, 1000]
    assert "Sizes not reached (too few documents): [100, 1000]" in scale.scale_markdown(result)


def test_a_first_size_below_the_qa_documents_own_chunks_is_an_error(monkeypatch, corpus, tmp_path):
    with pytest.raises(ScaleInputError, match="QA documents alone hold 12 chunks.*first size 5"):
        _run(monkeypatch, corpus, tmp_path, [5, 50], qa_chunks=6)


# -- slopes and goals ------------------------------------------------------------------------
def test_the_loglog_slope_is_the_exponent_of_the_growth():
    assert loglog_slope([1000, 10000, 100000], [1.0, 10**0.5, 10.0]) == 0.5
    assert loglog_slope([10, 100], [None, 3.0]) is None


def _steps(first_answer, p50, peak, hit, chunks=(1000, 10000)):
    return [
        {
            "size": c,
            "chunks": c,
            "first_answer_s": f,
            "query_p50_ms": q,
            "ingest_peak_mb": m,
            "hit@400": h,
        }
        for c, f, q, m, h in zip(chunks, first_answer, p50, peak, hit)
    ]


def _goals(**locations):
    return judge_goals(
        {
            "budget": 400,
            "locations": {k.replace("_", "-"): {"steps": v} for k, v in locations.items()},
        }
    )


def test_goals_met_when_every_location_stays_within_its_threshold():
    goals = _goals(
        chroma=_steps([1.0, 1.2], [10, 19], [500, 520], [0.5, 0.45]),
        chroma_server=_steps([2.0, 2.5], [12, 20], [500, 510], [0.5, 0.45]),
        milvus_lite=_steps([1.0, 1.4], [10, 15], [500, 600], [0.505, 0.44]),
    )
    assert {name: goal["status"] for name, goal in goals.items()} == dict.fromkeys(goals, "met")
    assert goals["first_answer_milvus"]["ratio"] == 1.4
    assert goals["hit_milvus_vs_chroma"]["sizes"][0]["gap"] == 0.005


def test_goals_not_met_name_the_figures_that_miss():
    goals = _goals(
        chroma=_steps([1.0, 1.2], [10, 19], [500, 520], [0.5, 0.45]),
        chroma_server=_steps([2.0, 2.5], [12, 20], [500, 510], [0.5, 0.45]),
        milvus_lite=_steps([1.0, 1.6], [10, 25], [500, 700], [0.5, 0.42]),
    )
    assert goals["first_answer_milvus"]["status"] == "not met"
    p50 = goals["query_p50_growth"]
    assert p50["status"] == "not met" and p50["locations"]["milvus-lite"]["per_tenfold"] == 2.5
    assert goals["ingest_memory_flat"]["locations"]["milvus-lite"]["ratio"] == 1.4
    assert goals["hit_milvus_vs_chroma"]["status"] == "not met"


def test_goals_a_run_cannot_judge_are_not_measured_never_met():
    one_size = _goals(milvus_lite=_steps([1.0], [10], [500], [0.5]))
    assert {g["status"] for g in one_size.values()} == {"not measured"}
    no_server = _goals(
        chroma=_steps([1.0, 1.2], [10, 19], [500, 520], [0.5, 0.45]),
        milvus_lite=_steps([1.0, 1.4], [10, 15], [500, 600], [0.5, 0.45]),
    )
    assert no_server["query_p50_growth"]["status"] == "not measured"
    assert no_server["query_p50_growth"]["locations"]["chroma-server"] == {"met": None}
    assert no_server["first_answer_milvus"]["status"] == "met"
