"""Bad input gets a clear error or a documented behaviour; sentence splitting keeps spans."""

import pytest

from mom_micro.memory import (
    MAX_DOCUMENT_CHARS,
    InvalidDocumentError,
    read_document,
    validate_document,
)
from mom_micro.memory.text import count_words, split_sentences


@pytest.mark.parametrize(
    "value, message",
    [
        ("", "empty"),
        (" \n\t ", "empty"),
        (b"bytes text", "bytes"),
        (42, "must be a str"),
        ("abc\x00\x01\x02def", "binary"),
    ],
)
def test_unusable_documents_are_refused(value, message):
    with pytest.raises(InvalidDocumentError, match=message):
        validate_document(value)


def test_huge_document_is_refused_with_its_size():
    with pytest.raises(InvalidDocumentError, match="over the limit"):
        validate_document("a" * (MAX_DOCUMENT_CHARS + 1))


def test_read_document_refuses_non_utf8_and_missing_files(tmp_path):
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("café crème".encode("latin-1"))
    with pytest.raises(InvalidDocumentError, match="not UTF-8"):
        read_document(latin)
    with pytest.raises(InvalidDocumentError, match="cannot read"):
        read_document(tmp_path / "missing.txt")
    good = tmp_path / "ok.txt"
    good.write_text("\ufeffHello there.", encoding="utf-8")
    assert read_document(good) == "Hello there."


def test_sentences_are_exact_spans_and_abbreviations_do_not_split():
    text = "Dr. Smith et al. measured it. Fig. 2 shows e.g. the rise! Then J. R. Doe left?"
    pieces = [text[s.start : s.end] for s in split_sentences(text)]
    assert pieces == ["Dr. Smith et al. measured it.", "Fig. 2 shows e.g. the rise!", "Then J. R. Doe left?"]


def test_headings_are_detected_but_metadata_lines_are_not():
    text = "Methods\nWe measured the flow in every pipe of the network.\nLicense:cc-by\nThe data are open to all readers."
    marked = {text[s.start : s.end]: s.heading for s in split_sentences(text)}
    assert marked["Methods"] is True
    assert marked["License:cc-by"] is False


def test_text_without_punctuation_is_cut_into_bounded_pieces():
    text = " ".join(f"word{i}" for i in range(1000))
    sentences = split_sentences(text, max_words=100)
    assert all(s.words <= 100 for s in sentences)
    assert sum(s.words for s in sentences) == 1000


def test_cjk_text_counts_characters_and_splits_on_full_stops():
    text = "记忆检索很重要。它帮助回答问题！"
    assert count_words(text) == 14
    assert [text[s.start : s.end] for s in split_sentences(text)] == ["记忆检索很重要。", "它帮助回答问题！"]


def test_in_markdown_only_hash_lines_are_headings():
    text = ("# Title\n\nShort wrapped first line of a paragraph\nthat goes on for a good many more words here.\n\n"
            "## Usage\n```bash\n# not a heading: a shell comment\nrun it\n```\nRun it.")
    headings = [text[s.start : s.end] for s in split_sentences(text) if s.heading]
    assert headings == ["# Title", "## Usage"]
