"""The preference readers: generic, CSV, HH, DSP, LLMBar and the real data files."""

from __future__ import annotations

import json

import pytest

from mom_micro.rewards import (
    NoUsablePairsError,
    PreferenceDataError,
    PreferencePair,
    pairs_from_records,
    read_csv,
    read_preferences,
)


def test_records_with_a_column_mapping_count_skipped_rows_by_reason():
    rows = [
        {"q": "p1", "good": "a", "bad": "b", "ctx": "x"},
        {"q": "p2", "good": "a"},
        {"q": "p3", "good": "a", "bad": "a"},
        {"q": "p4", "good": 1, "bad": "b"},
        "not a dict",
        {"q": "p5", "good": "c", "bad": "d"},
    ]
    pairs, report = pairs_from_records(
        rows,
        columns={"prompt": "q", "chosen": "good", "rejected": "bad", "context": "ctx"},
        context="default",
    )
    assert [p.context for p in pairs] == ["x", "default"]
    assert report.rows == 6 and report.pairs == 2
    assert dict(report.skipped) == {
        "missing_field": 1,
        "identical_responses": 1,
        "non_string": 1,
        "not_an_object": 1,
    }


def test_unknown_mapping_field_and_empty_source_are_errors():
    with pytest.raises(PreferenceDataError, match="unknown field"):
        pairs_from_records([], columns={"answer": "a"})
    with pytest.raises(NoUsablePairsError, match="missing_field: 1"):
        pairs_from_records([{"prompt": "p"}])


def test_jsonl_csv_and_auto_detection(tmp_path):
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text(
        json.dumps({"prompt": "p", "chosen": "a", "rejected": "b", "context": "c"})
        + "\n{broken\n\n"
    )
    pairs, report = read_preferences(jsonl)
    assert pairs == [PreferencePair("p", "a", "b", "c")]
    assert report.skipped == {"bad_json": 1} and report.rows == 2
    csv_file = tmp_path / "p.csv"
    csv_file.write_text("question,win,lose\nq1,yes,no\nq2,same,same\n")
    pairs, report = read_csv(
        csv_file, columns={"prompt": "question", "chosen": "win", "rejected": "lose"}, context="csv"
    )
    assert pairs == [PreferencePair("q1", "yes", "no", "csv")] and report.skipped == {
        "identical_responses": 1
    }
    with pytest.raises(PreferenceDataError, match="no such"):
        read_preferences(tmp_path / "missing.json")
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps([{"foo": 1}]))
    with pytest.raises(PreferenceDataError, match="cannot tell the format"):
        read_preferences(odd)


def test_hh_dialogues_split_at_the_last_assistant_turn(tmp_path):
    dialogue = "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: help me\n\nAssistant: "
    rows = [
        {"text": [dialogue + "Sure, here is how.", dialogue + "No."], "score": [1.0, 0.0]},
        {"text": [dialogue + "Worse.", dialogue + "Better."], "score": [0.0, 1.0]},
        {"text": ["\n\nHuman: a\n\nAssistant: x", "\n\nHuman: b\n\nAssistant: y"], "score": [1, 0]},
        {"text": ["no turns here", "none"], "score": [1, 0]},
        {"text": [dialogue + "a", dialogue + "b"], "score": [1, 1]},
        {"text": [dialogue + "a"]},
    ]
    path = tmp_path / "hh_harmless_sample.json"
    path.write_text(json.dumps(rows))
    pairs, report = read_preferences(path)
    assert pairs[0] == PreferencePair(
        dialogue.strip().rsplit("\n\nAssistant:", 1)[0].strip(),
        "Sure, here is how.",
        "No.",
        "harmless",
    )
    assert pairs[0].prompt.endswith("Human: help me")
    assert (pairs[1].chosen, pairs[1].rejected) == ("Better.", "Worse.")
    assert dict(report.skipped) == {
        "prompt_mismatch": 1,
        "malformed_dialogue": 1,
        "tied_scores": 1,
        "missing_field": 1,
    }
    pairs, _ = read_preferences(path, context="kind")
    assert pairs[0].context == "kind"


def test_dsp_domain_beats_every_other_response_in_its_context(tmp_path):
    rows = [{"query": "q", "responses": {"academy": "A", "business": "B", "normal": "N"}}]
    path = tmp_path / "dsp.json"
    path.write_text(json.dumps(rows))
    pairs, report = read_preferences(path)
    got = {(p.context, p.chosen, p.rejected) for p in pairs}
    assert got == {
        ("academy", "A", "B"),
        ("academy", "A", "N"),
        ("business", "B", "A"),
        ("business", "B", "N"),
    }
    assert report.rows == 1 and report.pairs == 4


def test_llmbar_labels(tmp_path):
    rows = [
        {"input": "i", "output_1": "o1", "output_2": "o2", "label": 2},
        {"input": "i", "output_1": "o1", "output_2": "o2", "label": 3},
    ]
    path = tmp_path / "llmbar.json"
    path.write_text(json.dumps(rows))
    pairs, report = read_preferences(path)
    assert pairs == [PreferencePair("i", "o2", "o1", "instruction_following")]
    assert report.skipped == {"bad_label": 1}


def test_real_preference_files(shared_data):
    pref = shared_data / "pref"
    helpful, report = read_preferences(pref / "hh_helpful_test.json")
    assert {p.context for p in helpful} == {"helpful"}
    assert report.rows == 2352 and report.pairs + sum(report.skipped.values()) == 2352
    assert report.pairs > 2300
    assert all("\n\nAssistant:" not in p.chosen for p in helpful)
    dsp, report = read_preferences(pref / "dsp_domains_test.json")
    assert {p.context for p in dsp} == {"academy", "business", "entertainment", "literature"}
    assert report.pairs + sum(report.skipped.values()) == 661 * 4 * 4
    llmbar, _ = read_preferences(pref / "llmbar" / "LLMBar_Natural.json")
    assert len(llmbar) == 100
