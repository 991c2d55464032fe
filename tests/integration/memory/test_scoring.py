"""MoM's two scores with the real offline evaluator (SmolLM2-135M)."""

import random

import pytest

from mom_micro.memory import DocumentMemory, EmbeddingMemoryScorer, MemoryScorer, MemoryUnit


def section_memory(text, starts, cores=None):
    bounds = [*starts, len(text)]
    units = [
        MemoryUnit(f"part {i}", cores[i] if cores else "", a, len(text[:b].rstrip()))
        for i, (a, b) in enumerate(zip(bounds, bounds[1:]))
    ]
    return DocumentMemory("water", units, text)


def random_cut_memory(text, n, seed):
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(60, len(text) - 60), n - 1))
    return section_memory(text, [0, *cuts])


@pytest.fixture(scope="module")
def scorer():
    return MemoryScorer()


def test_clarity_prefers_true_section_boundaries(scorer, water_text, section_starts):
    true = scorer.clarity(section_memory(water_text, section_starts))
    randoms = [
        scorer.clarity(random_cut_memory(water_text, len(section_starts), seed))
        for seed in range(3)
    ]
    assert true > max(randoms)
    assert 0.0 <= true <= 1.0


def test_completeness_prefers_a_faithful_core(scorer, water_text, section_starts):
    faithful = [
        "The city's water came from wells, then the Alder Creek aqueduct and the Morrow Reservoir.",
        "Water is screened, clarified with alum, filtered through sand and disinfected with UV and chloramine.",
        "Pipes, hilltop tanks and yearly replacement of cast-iron and lead lines deliver the water.",
        "Households pay a fixed charge plus tiered volume charges; low-income discounts exist.",
        "Boil-water notices are sent after main breaks or contamination until samples are clean.",
    ]
    unrelated = [
        "The football team won the regional cup after a penalty shoot-out.",
        "Medieval monks copied manuscripts by candlelight in cold rooms.",
        "The recipe needs two eggs, flour, butter and a pinch of salt.",
        "Jupiter has dozens of moons and a great red storm.",
        "The novel follows a sailor who returns home after twenty years.",
    ]
    good = scorer.completeness(section_memory(water_text, section_starts, faithful))
    bad = scorer.completeness(section_memory(water_text, section_starts, unrelated))
    assert good > bad > 0


def test_embedding_scorer_is_a_cheap_stand_in(water_text, section_starts):
    scorer = EmbeddingMemoryScorer()  # the bundled MiniLM
    scores = scorer.score_many(
        [section_memory(water_text, section_starts, ["core"] * 5)]
        + [random_cut_memory(water_text, len(section_starts), seed) for seed in range(3)]
    )
    assert scores[0]["clarity"] > max(s["clarity"] for s in scores[1:])
