"""The reader an index was built with: rebuilt from its description, never imported by
name, and the one new documents must be read with."""

from __future__ import annotations

import pytest

from mom_micro.memory import ExtractiveExtractor, describe_reader
from mom_micro.retrievers.storage.errors import ReaderMismatch
from mom_micro.retrievers.storage.reader_record import (
    choose_reader,
    reader_from,
    require_reader,
    same_reader,
)


def test_the_extractive_reader_is_rebuilt_from_its_settings():
    rebuilt = reader_from(describe_reader(ExtractiveExtractor(target_words=60)))
    assert isinstance(rebuilt, ExtractiveExtractor) and rebuilt.target_words == 60
    assert isinstance(reader_from(None), ExtractiveExtractor)  # an index that stored none


def test_a_description_naming_code_is_never_imported(tmp_path, monkeypatch):
    (tmp_path / "planted.py").write_text(
        f"open({str(tmp_path / 'imported')!r}, 'w').write('yes')\nclass Model: pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    stored = {"kind": "llm", "model": "planted:Model", "model_class": "planted.Model"}
    assert reader_from(stored) is None
    assert not (tmp_path / "imported").exists()
    with pytest.raises(ReaderMismatch, match="cannot be rebuilt from its description"):
        require_reader("papers", reader_from(stored), stored)


def test_another_reader_is_refused_once_documents_were_read_with_the_stored_one():
    stored = describe_reader(ExtractiveExtractor(target_words=60))
    other = ExtractiveExtractor(target_words=200)
    assert not same_reader(stored, describe_reader(other))
    with pytest.raises(ReaderMismatch, match="replace_reader=True"):
        choose_reader("papers", stored, other, replace=False, has_documents=True)
    assert choose_reader("papers", stored, other, replace=True, has_documents=True) is other
    assert choose_reader("papers", stored, other, replace=False, has_documents=False) is other
