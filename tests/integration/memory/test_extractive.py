"""The offline extractive reader with the real MiniLM on multi-section text."""

from mom_micro.memory import DocumentMemory, ExtractiveExtractor
from tests.support.memory import SECTIONS


def check_memory(memory: DocumentMemory) -> None:
    assert memory.coverage == 1.0
    for unit in memory.units:
        assert memory.source[unit.start : unit.end] == memory.source[unit.start : unit.end].strip()
        assert unit.title and unit.core


def test_with_the_bundled_minilm(water_text, section_starts):
    reader = ExtractiveExtractor(target_words=80, n_paths=2)
    memory = reader.extract(water_text, "water")
    check_memory(memory)
    starts = [u.start for u in memory.units]
    # the six-word title line may open the first section's chunk
    assert starts[0] in (0, section_starts[0]) and set(section_starts[1:]) <= set(starts)
    assert [u.title for u in memory.units if u.start in section_starts[1:]] == SECTIONS[1:]
    # the title line is too short to stand alone: it leads the first section's chunk,
    # whose title names both
    assert memory.units[0].title == f"Harbor City Water Services; {SECTIONS[0]}"
    assert memory.model == "all-MiniLM-L6-v2"
