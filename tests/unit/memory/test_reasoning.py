"""Chain-of-memory SFT records: format, JSONL that TRL reads, skipped documents."""

import json

import pytest
from langchain_core.language_models import FakeListChatModel

from mom_micro.memory import ChainOfMemoryBuilder, ExtractiveExtractor, parse_memory_output
from tests.support.memory import hashing_embedder

REASONING = "This is a utility guide for residents. It moves from history to treatment, pipes, bills and emergencies, so each heading starts a new part."


def builder(guide) -> ChainOfMemoryBuilder:
    return ChainOfMemoryBuilder(
        guide=guide, reader=ExtractiveExtractor(target_words=80, embedder=hashing_embedder)
    )


def test_record_holds_prompt_reasoning_and_a_parseable_memory(water_text):
    record = builder(FakeListChatModel(responses=[f"<think>{REASONING}</think>"])).record(
        water_text, "water"
    )
    user, assistant = record["messages"]
    assert (
        user["role"] == "user" and "<document>" in user["content"] and "<think>" in user["content"]
    )
    assert assistant["content"].startswith(f"<think>{REASONING}</think>\n<outline>")
    memory = parse_memory_output(assistant["content"], water_text)
    assert len(memory.units) >= 5


def test_build_writes_jsonl_and_reports_skipped_documents(tmp_path, water_text):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(water_text)
    (docs / "b.txt").write_text("   ")
    (docs / "c.txt").write_bytes(b"\xff\xfe\x00binary")
    out = tmp_path / "com.jsonl"
    report = builder(lambda prompt, t: REASONING).build(
        sorted(docs.glob("*.txt")), out, show_progress=False
    )
    assert report.written == 1 and set(report.skipped) == {str(docs / "b.txt"), str(docs / "c.txt")}
    lines = out.read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["messages"][1]["role"] == "assistant"


def test_too_short_reasoning_fails_and_nothing_is_written(tmp_path, water_text):
    (tmp_path / "a.txt").write_text(water_text)
    out = tmp_path / "com.jsonl"
    with pytest.raises(ValueError, match="no record"):
        builder(lambda prompt, t: "ok").build([tmp_path / "a.txt"], out, show_progress=False)
    assert not out.exists()
