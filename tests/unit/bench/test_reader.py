"""bench reader: the figures of readers that parse, that do not, and their outputs."""

from __future__ import annotations

import json

import pytest

from mom_micro.bench.concurrency import LatencyGuide
from mom_micro.bench.data import BenchDataset
from mom_micro.bench.reader import reader_sections, run_reader_bench, write_reader_outputs
from mom_micro.memory import ExtractiveExtractor, LLMExtractor, window_chars
from tests.support.memory import hashing_embedder
from tests.support.retrieval import PETS, SPACE


class WordScorer:
    """A stand-in for MemoryScorer: boundary probability 0.5, completeness by overlap."""

    def boundary_probabilities(self, pairs):
        return [0.5 for _ in pairs]

    def completeness_terms(self, pairs):
        return [len(set(c.split()) & set(a.split())) / max(len(a.split()), 1) for c, a in pairs]


@pytest.fixture
def dataset(water_text) -> BenchDataset:
    return BenchDataset("held-out", {"water": water_text, "pets": PETS, "space": SPACE})


def test_sections_are_the_windows_a_reader_learned_on(dataset):
    sections = reader_sections(dataset, student_context=900, max_sections=None)
    assert all(len(s.text) <= window_chars(900) for s in sections)
    assert len({s.doc_id for s in sections}) == 3
    drawn = reader_sections(dataset, student_context=900, max_sections=3, seed=1)
    assert len(drawn) == 3 and drawn == reader_sections(dataset, 900, 3, seed=1)


def test_readers_that_parse_and_one_that_does_not(dataset, tmp_path):
    readers = {
        "extractive": ExtractiveExtractor(target_words=40, embedder=hashing_embedder),
        "scripted": LLMExtractor(LatencyGuide(latency=0.0), n_paths=1),
        "chatty": LLMExtractor(lambda prompt, t: "I would rather not.", n_paths=1),
    }
    result = run_reader_bench(
        dataset,
        readers,
        student_context=900,
        scorer=WordScorer(),
        show_progress=False,
        log=lambda line: None,
    )
    figures = result["readers"]
    assert figures["extractive"]["parse"] == 1.0 and figures["extractive"]["anchors_exact"] == 1.0
    assert figures["scripted"]["parse"] == 1.0 and figures["scripted"]["coverage"] > 0.9
    assert figures["scripted"]["anchors_exact"] + figures["scripted"]["anchors_fuzzy"] > 0.95
    assert figures["chatty"]["parse"] == 0.0 and figures["chatty"]["coverage"] == 0.0
    assert "clarity" not in figures["chatty"] and figures["scripted"]["clarity"] == 0.5
    assert figures["scripted"]["s_per_1000_words"] > 0
    paths = write_reader_outputs(result, tmp_path / "reader.json")
    assert [p.suffix for p in paths] == [".json", ".md", ".png"]
    assert json.loads(paths[0].read_text())["sections"] == result["sections"]
    table = paths[1].read_text()
    assert "| chatty | 0.000 |" in table and "anchors_exact" in table


def test_continuations_are_counted_and_decoding_reaches_model_readers(dataset):
    def half(prompt, temperature):
        """Quotes only the first two words of each section it is given."""
        section = prompt.split("<document>\n")[1].split("\n</document>")[0]
        return f"<chunk>{' '.join(section.split()[:2])}</chunk>Start."

    readers = {"halves": LLMExtractor(half, n_paths=1, min_chunk_chars=5, continuations=1)}
    result = run_reader_bench(
        dataset, readers, student_context=900, show_progress=False, log=lambda line: None
    )
    assert result["readers"]["halves"]["continued"] == 1.0  # one more call per section

    from mom_micro.bench.reader import Decoding, _reader

    reader = _reader(
        "smollm2", None, Decoding(max_new_tokens=9, copy_chunks="off", continuations=2)
    )
    assert (reader.llm.max_new_tokens, reader.llm.copy_chunks, reader.continuations) == (
        9,
        "off",
        2,
    )
    kept = _reader("smollm2", None, Decoding())
    assert (kept.llm.copy_chunks, kept.continuations) == ("tiling", 0)


class CountingReader(ExtractiveExtractor):
    """The extractive reader, counting its readings."""

    calls = 0

    def extract(self, text, doc_id=None):
        self.calls += 1
        return super().extract(text, doc_id)


def test_a_stopped_retrieval_run_resumes_from_the_memory_cache(water_text, tmp_path):
    from mom_micro.bench.reader import _Recorder

    reader = CountingReader(target_words=40, embedder=hashing_embedder)
    first = _Recorder(reader, tmp_path)
    memory = first.extract(water_text, "water")
    assert reader.calls == 1 and len(list(tmp_path.glob("*.json"))) == 1

    again = _Recorder(reader, tmp_path)  # a new run, the same folder: nothing is read
    assert again.extract(water_text, "water").to_dict() == memory.to_dict()
    assert reader.calls == 1 and again.resumed == 1 and again.seconds == first.seconds

    other = CountingReader(target_words=80, embedder=hashing_embedder)
    _Recorder(other, tmp_path).extract(water_text, "water")  # another reader reads anew
    assert other.calls == 1 and len(list(tmp_path.glob("*.json"))) == 2

    for path in tmp_path.glob("*.json"):
        path.write_text('{"seconds": 1.0}')
    with pytest.raises(ValueError, match="is not a cached memory"):
        _Recorder(reader, tmp_path).extract(water_text, "water")
