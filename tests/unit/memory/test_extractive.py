"""The offline extractive reader on real multi-section text (hashed embedder)."""

import numpy as np
import pytest

from mom_micro.memory import (
    DocumentMemory,
    ExtractiveExtractor,
    InvalidDocumentError,
    ReaderConfigError,
)
from tests.support.memory import SECTIONS, hashing_embedder


def check_memory(memory: DocumentMemory) -> None:
    assert memory.coverage == 1.0
    for unit in memory.units:
        assert memory.source[unit.start : unit.end] == memory.source[unit.start : unit.end].strip()
        assert unit.title and unit.core


def test_sections_become_chunks_titled_by_their_headings(water_text, section_starts):
    memory = ExtractiveExtractor(target_words=80, embedder=hashing_embedder).extract(
        water_text, "water"
    )
    check_memory(memory)
    starts = [u.start for u in memory.units]
    assert set(section_starts) <= set(starts)
    titles = {u.start: u.title for u in memory.units}
    assert [titles[s] for s in section_starts] == SECTIONS
    assert memory.extractor == "extractive" and memory.path == "target_words=80"


def test_core_content_is_taken_from_the_chunk(water_text):
    memory = ExtractiveExtractor(target_words=80, embedder=hashing_embedder).extract(water_text)
    for unit, chunk in zip(memory.units, memory.chunks()):
        for sentence in unit.core.split(". "):
            assert sentence.rstrip(".") in " ".join(chunk.split())


def test_granularity_controls_chunk_length(water_text):
    small = ExtractiveExtractor(target_words=25, embedder=hashing_embedder).extract(water_text)
    large = ExtractiveExtractor(target_words=80, embedder=hashing_embedder).extract(water_text)
    assert len(small.units) > len(large.units)
    assert max(len(c.split()) for c in small.chunks()) <= 1.7 * 25 + 1
    check_memory(small)


def test_several_paths_are_scored_and_the_choice_recorded(water_text):
    memory = ExtractiveExtractor(target_words=60, n_paths=3, embedder=hashing_embedder).extract(
        water_text
    )
    assert len(memory.candidates) == 3
    assert sum(c.chosen for c in memory.candidates) == 1
    chosen = next(c for c in memory.candidates if c.chosen)
    assert chosen.path == memory.path
    assert chosen.scores["rrf"] == max(c.scores["rrf"] for c in memory.candidates)
    assert {"clarity", "completeness", "rrf"} <= set(chosen.scores)


def test_text_without_punctuation_or_structure_still_reads(water_text):
    flat = " ".join(word.strip(".,!?") for word in water_text.split())
    memory = ExtractiveExtractor(target_words=50, embedder=hashing_embedder).extract(flat)
    check_memory(memory)
    assert all(len(c.split()) <= 85 for c in memory.chunks())


def test_single_sentence_document_is_one_unit():
    memory = ExtractiveExtractor(embedder=hashing_embedder).extract("Just one short line.")
    assert len(memory.units) == 1 and memory.units[0].core == "Just one short line."


def test_non_english_text_reads():
    text = "记忆检索很重要。它帮助回答问题。\n\n第二部分讲述检索的方法。我们使用向量。"
    memory = ExtractiveExtractor(target_words=8, embedder=hashing_embedder).extract(text)
    check_memory(memory)


def test_bad_input_and_bad_settings_are_refused():
    with pytest.raises(InvalidDocumentError):
        ExtractiveExtractor(embedder=hashing_embedder).extract("   ")
    with pytest.raises(ValueError, match="n_paths"):
        ExtractiveExtractor(n_paths=9)
    with pytest.raises(ValueError, match="target_words"):
        ExtractiveExtractor(target_words=1)


def test_large_document_reads_in_bounded_pieces(water_text):
    big = "\n\n".join([water_text] * 60)  # ~24k words
    memory = ExtractiveExtractor(target_words=100, embedder=hashing_embedder).extract(big)
    check_memory(memory)
    lengths = np.array([len(c.split()) for c in memory.chunks()])
    assert lengths.max() <= 170


def test_config_is_json_and_rebuilds_the_same_reader(water_text):
    import json

    reader = ExtractiveExtractor(target_words=70, n_paths=2, core_words=30)
    config = json.loads(json.dumps(reader.config()))
    assert config["kind"] == "extractive" and config["model"] == "all-MiniLM-L6-v2"
    assert config["settings"]["target_words"] == 70
    assert ExtractiveExtractor.from_config(config) == reader
    custom = ExtractiveExtractor(target_words=80, embedder=hashing_embedder)
    with pytest.raises(ReaderConfigError, match="custom model: pass it again"):
        ExtractiveExtractor.from_config(custom.config())
    again = ExtractiveExtractor.from_config(custom.config(), embedder=hashing_embedder)
    assert again.extract(water_text).chunks() == custom.extract(water_text).chunks()


@pytest.mark.parametrize(
    "config, message",
    [
        ({"kind": "llm"}, "not an extractive reader"),
        ({"kind": "extractive", "settings": {"colour": 1}}, "unknown .* colour"),
        ({"kind": "extractive", "settings": {"target_words": 2}}, "at least 5"),
    ],
)
def test_bad_configs_are_refused(config, message):
    with pytest.raises(ReaderConfigError, match=message):
        ExtractiveExtractor.from_config(config)


def test_long_documents_show_a_progress_bar(water_text, capsys):
    from mom_micro.memory.extractive import LONG_DOCUMENT_CHARS

    long_text = "\n\n".join([water_text] * (LONG_DOCUMENT_CHARS // len(water_text) + 1))
    ExtractiveExtractor(target_words=80, embedder=hashing_embedder).extract(long_text, "long")
    assert "reading long" in capsys.readouterr().err
    ExtractiveExtractor(target_words=80, embedder=hashing_embedder).extract(water_text, "short")
    quiet = ExtractiveExtractor(target_words=80, embedder=hashing_embedder, show_progress=False)
    quiet.extract(long_text, "long")
    assert "reading" not in capsys.readouterr().err


def test_a_stack_of_headings_over_a_long_sentence_does_not_make_one_chunk():
    # Three headings in a row, then a sentence longer than the target: a chunk holding
    # them crosses two section starts, which sections that share a chunk may not do,
    # and no chunk boundary may follow a heading. The document is still cut in pieces.
    body = " ".join(
        f"Paragraph {i} says that the river carries silt to the delta, where the "
        "water slows, spreads out and leaves the sand behind in wide banks."
        for i in range(30)
    )
    long = " ".join(["the handler writes every record to the rotating file"] * 12)
    heads = [
        "The Logging Cookbook Of Recipes",
        "Handlers That Write To Files",
        "Rotating The Files By Size",
    ]
    stack = "".join(f"{h}\n{mark * len(h)}\n\n" for h, mark in zip(heads, "=-~"))
    text = f"{stack}{long}\n\n{body}"
    memory = ExtractiveExtractor(target_words=40, n_paths=1, embedder=hashing_embedder).extract(
        text, "cookbook"
    )
    check_memory(memory)
    assert len(memory.units) > 5
    assert max(len(chunk.split()) for chunk in memory.chunks()) < 200
