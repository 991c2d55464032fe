"""Chain-of-memory teacher data: records, teacher or template reasoning, sections,
concurrency, skipped sections and resuming an interrupted run."""

import asyncio
import json

import pytest
from langchain_core.language_models import FakeListChatModel

from mom_micro.bench.concurrency import LatencyGuide, paragraph_memory, prompt_document
from mom_micro.memory import (
    ChainOfMemoryBuilder,
    EmbeddingMemoryScorer,
    ExtractiveExtractor,
    LLMExtractor,
    SFTDataError,
    parse_memory_output,
    reasoning_problem,
    template_reasoning,
)
from tests.support.memory import hashing_embedder

REASONING = (
    "This is a utility guide for residents. It moves from history to treatment, pipes, "
    "bills and emergencies, so each heading starts a new part of the memory."
)
SCORER = EmbeddingMemoryScorer(embedder=hashing_embedder)


def extractive() -> ExtractiveExtractor:
    return ExtractiveExtractor(target_words=60, embedder=hashing_embedder)


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_record_holds_prompt_teacher_reasoning_and_a_parseable_memory(water_text):
    builder = ChainOfMemoryBuilder(
        reader=extractive(), guide=FakeListChatModel(responses=[f"<think>{REASONING}</think>"])
    )
    section = builder.sections("water", water_text)[0]
    record = asyncio.run(builder.record(section))
    user, assistant = record["messages"]
    assert (
        user["role"] == "user" and "<document>" in user["content"] and "<think>" in user["content"]
    )
    assert assistant["content"].startswith(f"<think>{REASONING}</think>\n<outline>")
    memory = parse_memory_output(assistant["content"], section.text)
    anchors = memory.metadata["anchors"]
    assert anchors["exact"] >= 2 * len(memory.units) and anchors["exact"] == sum(anchors.values())
    assert record["meta"]["reasoning"] == "teacher" and record["meta"]["doc_id"] == "water"


def test_filler_from_the_teacher_is_replaced_by_the_template(tmp_path, water_text):
    filler = "The document has an outline. " * 8
    builder = ChainOfMemoryBuilder(
        reader=extractive(), guide=lambda prompt, t: filler, show_progress=False
    )
    report = builder.build({"water": water_text}, tmp_path / "com.jsonl")
    assert report.reasoning == {"template": report.written}
    think = read_jsonl(tmp_path / "com.jsonl")[0]["messages"][1]["content"]
    assert "The document has an outline." not in think and think.startswith("<think>The text has")


def test_a_failing_reasoning_call_falls_back_to_the_template(tmp_path, water_text):
    def refuses(prompt, temperature):
        raise PermissionError("this key may not write reasoning")

    builder = ChainOfMemoryBuilder(reader=extractive(), guide=refuses, show_progress=False)
    report = builder.build({"water": water_text}, tmp_path / "com.jsonl")
    assert report.reasoning == {"template": report.written} and not report.skipped


def test_template_reasoning_is_built_from_the_memory(water_text):
    memory = extractive().extract(water_text)
    text = template_reasoning(memory)
    assert text.startswith(f"The text has {len(memory.units)} parts and opens with")
    for chunk in memory.chunks()[1:]:
        assert '"' + " ".join(chunk.split()[:4]) + '"' in text
    assert reasoning_problem(text, min_words=10) is None


@pytest.mark.parametrize(
    "text, problem",
    [
        ("Too short.", "words of reasoning"),
        ("I see it. " * 3 + "Then more words follow here to pass the length limit.", "repeats one"),
        ("word " * 40, "trigrams distinct"),
        (REASONING + " <outline>a</outline>", "memory tags"),
    ],
)
def test_reasoning_problems_are_named(text, problem):
    assert problem in reasoning_problem(text, min_words=8)


def test_long_documents_are_cut_into_sections_that_fit_the_student(tmp_path, water_text):
    builder = ChainOfMemoryBuilder(reader=extractive(), student_context=892, show_progress=False)
    report = builder.build({"water": water_text}, tmp_path / "com.jsonl")
    records = read_jsonl(tmp_path / "com.jsonl")
    assert report.written == report.sections == len(records) > 2
    for record in records:
        meta = record["meta"]
        section = water_text[meta["start"] : meta["end"]]
        assert len(section) <= 700 and prompt_document(record["messages"][0]["content"]) == section
    assert [r["meta"]["start"] for r in records[1:]] == [r["meta"]["end"] for r in records[:-1]]
    assert records[-1]["meta"]["end"] >= len(water_text.rstrip())


def test_an_llm_teacher_samples_paths_keeps_the_scorers_choice_and_runs_concurrently(tmp_path):
    docs = {
        f"d{i}": "\n\n".join(f"Paragraph {j} of doc {i} says a thing. " * 3 for j in range(4))
        for i in range(6)
    }
    guide = LatencyGuide(latency=0.05)
    teacher = LLMExtractor(guide, n_paths=3, scorer=SCORER, max_concurrency=8)
    builder = ChainOfMemoryBuilder(
        reader=teacher, guide=guide, max_concurrency=4, show_progress=False
    )
    report = builder.build(docs, tmp_path / "com.jsonl")
    assert report.written == 6 and guide.peak > 3
    record = read_jsonl(tmp_path / "com.jsonl")[0]
    assert record["meta"]["path"].startswith("temperature=") and record["meta"]["teacher"]
    # the scripted guide answers a memory, not prose, to the reasoning prompt: template
    assert report.reasoning == {"template": 6}


def test_a_teacher_without_tags_skips_the_section_and_counts_it(tmp_path, water_text):
    def teacher(prompt, temperature):
        window = prompt_document(prompt)
        return "Sorry, I cannot help." if "Billing" in window else paragraph_memory(window)

    builder = ChainOfMemoryBuilder(
        reader=LLMExtractor(teacher, n_paths=1, max_retries=0),
        student_context=892,
        show_progress=False,
    )
    report = builder.build(
        {"water": water_text, "other": "A short note. " * 10}, tmp_path / "o.jsonl"
    )
    assert len(report.skipped) == 1 and report.skipped_documents == 1
    assert "no <chunk>" in next(iter(report.skipped.values()))
    assert report.written == report.sections - 1


def test_nothing_usable_is_an_error_and_nothing_is_written(tmp_path, water_text):
    out = tmp_path / "com.jsonl"
    builder = ChainOfMemoryBuilder(
        reader=LLMExtractor(lambda p, t: "no tags at all", n_paths=1), show_progress=False
    )
    with pytest.raises(SFTDataError, match="no record could be made"):
        builder.build({"water": water_text}, out)
    assert not out.exists()


def test_unreadable_files_are_skipped(tmp_path, water_text):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(water_text)
    (docs / "b.txt").write_text("\u200b  ")
    (docs / "c.txt").write_bytes(b"\xff\xfe\x00binary")
    report = ChainOfMemoryBuilder(reader=extractive(), show_progress=False).build(
        sorted(docs.glob("*.txt")), tmp_path / "com.jsonl"
    )
    assert report.written >= 1
    assert set(report.skipped) == {str(docs / "b.txt"), str(docs / "c.txt")}


def test_an_interrupted_run_resumes_without_asking_the_teacher_again(tmp_path, water_text):
    out = tmp_path / "com.jsonl"
    calls = []
    stop_at = [3]

    class Interrupted(BaseException):
        pass

    def teacher(prompt, temperature):
        calls.append(prompt)
        if len(calls) == stop_at[0]:
            raise Interrupted  # the process stops: no final file, a partial journal
        return paragraph_memory(prompt_document(prompt))

    def builder():
        return ChainOfMemoryBuilder(
            reader=LLMExtractor(teacher, n_paths=1),
            student_context=850,
            max_concurrency=1,
            show_progress=False,
        )

    with pytest.raises(Interrupted):
        builder().build({"water": water_text}, out)
    assert not out.exists() and len(read_jsonl(out.with_name("com.jsonl.partial"))) == 2
    with out.with_name("com.jsonl.partial").open("a") as handle:
        handle.write('{"messages": [tor')  # a line torn by the crash
    calls.clear()
    stop_at[0] = 0
    report = builder().build({"water": water_text}, out)
    assert report.resumed == 2 and len(calls) == report.sections - 2
    assert report.written == report.sections and len(read_jsonl(out)) == report.sections
    assert not out.with_name("com.jsonl.partial").exists()
    assert [r["meta"]["section"] for r in read_jsonl(out)] == list(range(report.sections))
