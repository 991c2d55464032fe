"""Documents the readers accept: clear errors for empty, binary, huge or missing input."""

import pytest

from mom_micro.memory import (
    MAX_DOCUMENT_CHARS,
    InvalidDocumentError,
    read_document,
    validate_document,
)


@pytest.mark.parametrize(
    "value, message",
    [
        ("", "empty"),
        (" \n\t ", "empty"),
        (b"bytes text", "bytes"),
        (42, "must be a str"),
        ("abc\x00\x01\x02def", "binary"),
        ("\u200b\u200c\u200d\u2060\ufeff \u200b\n", "no visible text"),
        ("🙂🎉 👍👍\n🔥", "no words"),
        ("--- *** !!! ... ___", "no words"),
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


def test_text_with_zero_width_characters_among_words_is_kept():
    assert validate_document("zero\u200bwidth joiner") == "zero\u200bwidth joiner"


def test_a_word_among_emoji_or_in_any_script_is_enough():
    for text in ("🙂 ok 🙂", "记忆", "٣", "🔥 42"):
        assert validate_document(text) == text
