"""Memories that read like the document's outline: each section starts a unit titled by
its heading path, long sections carry their heading, and prose without headings gets
the opening phrase of each part -- never a bag of key words."""

import re

import pytest

from mom_micro.memory import ExtractiveExtractor
from mom_micro.structure import find_headings
from mom_micro.text import blank_markup
from tests.support.memory import DATA, hashing_embedder

TEXTS = [
    "license_agreement.txt",
    "annual_report_10k.txt",
    "field_guide.md",
    "town_page.html",
    "harbor_city_water.txt",
]


def _read(name: str) -> str:
    text = (DATA / name).read_text(encoding="utf-8")
    return blank_markup(text) if name.endswith(".html") else text


def _memory(text: str, target_words: int = 80, **settings):
    reader = ExtractiveExtractor(target_words=target_words, embedder=hashing_embedder, **settings)
    return reader.extract(text)


@pytest.mark.parametrize("name", TEXTS)
def test_every_heading_is_in_the_title_of_the_unit_that_holds_it(name):
    text = _read(name)
    memory = _memory(text)
    assert memory.coverage == 1.0
    for heading in find_headings(text):
        unit = next(u for u in memory.units if u.start <= heading.start < u.end)
        assert heading.label in unit.title, (heading.label, unit.title)


def test_each_numbered_section_starts_a_unit_and_subsections_carry_their_parent():
    text = _read("license_agreement.txt")
    memory = _memory(text)
    starts = {u.start for u in memory.units}
    for number in range(1, 8):
        assert re.search(rf"(?m)^{number}\. [A-Z]", text)
        assert re.search(rf"(?m)^{number}\. [A-Z]", text).start() in starts
    titles = [u.title for u in memory.units]
    assert "2. GRANT OF RIGHTS > 2.3 Demonstration License" in titles
    assert not any(t.startswith("BACKGROUND") for t in titles[2:])  # no heading carried over


def test_a_long_section_splits_and_each_part_keeps_its_heading():
    text = "Water Treatment\n" + " ".join(
        f"Step {i} of the plant moves the water through filter bed number {i} before it "
        f"is tested again by the staff on duty."
        for i in range(1, 25)
    )
    memory = _memory(text, target_words=60)
    assert len(memory.units) > 2
    assert memory.units[0].title == "Water Treatment"
    assert all(u.title.startswith("Water Treatment — Step") for u in memory.units[1:])


def test_prose_without_headings_is_titled_by_each_parts_opening_words():
    text = _read("plain_essay.txt")
    memory = _memory(text, target_words=60)
    assert len(memory.units) >= 2
    for unit in memory.units:
        words = unit.title.split()
        opening = " ".join(text[unit.start : unit.end].split()[: len(words)])
        assert unit.title == opening.rstrip(",;:.")  # the part's own first words, in order
        assert 2 <= len(words) <= 8
        assert len({w.lower() for w in words}) == len(words)  # no repeated word


def test_small_neighbouring_sections_share_a_unit_that_names_both():
    text = (
        "# Guide\n\n## Install\n\nRun pip install for the package.\n\n"
        "## Upgrade\n\nRun pip install again with the upgrade flag.\n\n"
        "## Remove\n\n" + "Uninstalling removes the package and its files from the machine. " * 12
    )
    memory = _memory(text, target_words=80, min_words=40, heading_bonus=0.5)
    titles = [u.title for u in memory.units]
    assert any("Install" in t and "Upgrade" in t for t in titles), titles
    assert titles[-1] == "Remove"
