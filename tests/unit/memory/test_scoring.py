"""The cheap embedding scorer of sampled memories."""

import pytest

from mom_micro.memory import DocumentMemory, EmbeddingMemoryScorer, MemoryScorer, MemoryUnit
from tests.support.memory import hashing_embedder


def section_memory(text, starts, cores=None):
    bounds = [*starts, len(text)]
    units = [
        MemoryUnit(f"part {i}", cores[i] if cores else "", a, len(text[:b].rstrip()))
        for i, (a, b) in enumerate(zip(bounds, bounds[1:]))
    ]
    return DocumentMemory("water", units, text)


@pytest.fixture(scope="module")
def scorer():
    return MemoryScorer()


def test_embedding_scorer_single_unit_has_no_boundary(water_text):
    single = section_memory(water_text, [0], ["all of it"])
    scores = EmbeddingMemoryScorer(embedder=hashing_embedder).score_many([single])[0]
    assert scores["clarity"] == 0.0 and scores["completeness"] > 0
