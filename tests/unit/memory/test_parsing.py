"""parse_memory_output: the MoM tagged format onto source spans, and all the ways real
model output strays from it."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mom_micro.memory import (
    DocumentMemory,
    MemoryParseError,
    MemoryUnit,
    format_memory_output,
    parse_memory_output,
)
from tests.support.memory import DATA, SECTIONS

SOURCE = (DATA / "harbor_city_water.txt").read_text(encoding="utf-8")


def section_span(i: int) -> tuple[int, int]:
    start = SOURCE.index(SECTIONS[i])
    end = SOURCE.index(SECTIONS[i + 1]) if i + 1 < len(SECTIONS) else len(SOURCE)
    return start, len(SOURCE[:end].rstrip())


def head_tail(i: int, words: int = 4) -> tuple[str, str]:
    start, end = section_span(i)
    tokens = SOURCE[start:end].split()
    return " ".join(tokens[:words]), " ".join(tokens[-words:])


def scenario(i: int, head: str | None = None, tail: str | None = None, core: str = "") -> str:
    h, t = head_tail(i)
    return f"<scenario><chunk>{head or h}[MASK]{tail or t}</chunk>\n{core or f'Core of part {i}.'}</scenario>"


OUTLINE = (
    "<outline>\n" + "\n".join(f"{i + 1}. {s}" for i, s in enumerate(SECTIONS)) + "\n</outline>\n"
)


def assert_tiles(memory: DocumentMemory) -> None:
    previous = 0
    for unit in memory.units:
        assert unit.start >= previous
        assert memory.source[previous : unit.start].strip() == ""
        previous = unit.end
    assert memory.source[previous:].strip() == ""
    assert memory.coverage == 1.0


def starts(memory: DocumentMemory) -> list[int]:
    return [u.start for u in memory.units]


WORDS = st.sampled_from("alpha beta gamma delta water pipe rate boil tank meter".split())

sentence = st.lists(WORDS, min_size=3, max_size=12).map(lambda w: " ".join(w).capitalize() + ".")

paragraph = st.lists(sentence, min_size=1, max_size=4).map(" ".join)

document = st.lists(paragraph, min_size=1, max_size=6).map("\n\n".join)


@st.composite
def model_output(draw):
    text = draw(document)
    tokens = text.split()
    pieces = []
    for _ in range(draw(st.integers(0, 6))):
        a = draw(st.integers(0, len(tokens) - 1))
        b = draw(st.integers(a, len(tokens) - 1))
        head = " ".join(tokens[a : a + draw(st.integers(1, 4))])
        tail = " ".join(tokens[max(a, b - 2) : b + 1])
        if draw(st.booleans()):
            head = head.upper()
        junk = draw(st.sampled_from(["", "</scenario>", "<scenario>", "noise"]))
        pieces.append(f"<scenario><chunk>{head}[MASK]{tail}</chunk>core{junk}")
    if draw(st.booleans()):
        pieces.append(draw(st.text(max_size=30)))
    return text, "\n".join(draw(st.permutations(pieces)) if pieces else pieces)


def test_well_formed_output_maps_each_chunk_to_its_section():
    raw = OUTLINE + "\n".join(scenario(i) for i in range(5))
    memory = parse_memory_output(raw, SOURCE)
    assert [u.title for u in memory.units] == SECTIONS
    # the opening line before the first chunk is short: it joins the first chunk
    assert starts(memory)[1:] == [section_span(i)[0] for i in range(1, 5)]
    assert memory.units[2].core == "Core of part 2."
    assert_tiles(memory)


def test_think_block_fences_prose_and_missing_closing_tags():
    body = "\n".join(scenario(i).replace("</scenario>", "") for i in range(5))
    raw = (
        "<think>The document has five parts. <chunk>not a real chunk</chunk></think>\n"
        "Sure! Here is the memory:\n```xml\n<outline>\n"
        + "\n".join(SECTIONS)
        + "\n"
        + body
        + "\n```\nHope it helps."
    )
    memory = parse_memory_output(raw, SOURCE)
    assert starts(memory)[1:] == [section_span(i)[0] for i in range(1, 5)]
    assert memory.units[4].core.startswith("Core of part 4.")
    assert "Hope it helps" not in memory.units[3].core


def test_unclosed_think_then_memory():
    raw = "<think>planning the outline...\n" + OUTLINE + "\n".join(scenario(i) for i in range(5))
    assert len(parse_memory_output(raw, SOURCE).units) == 5


def test_unclosed_think_without_memory_is_an_error():
    with pytest.raises(MemoryParseError, match="unclosed <think>"):
        parse_memory_output("<think>I am still thinking about", SOURCE)


def test_anchors_with_other_spacing_case_and_punctuation():
    h1, t1 = head_tail(1)
    h3, _ = head_tail(3)
    raw = OUTLINE + "\n".join(
        [
            scenario(0),
            scenario(
                1, head="  " + h1.upper().replace(" ", "   "), tail=t1.replace(",", "").lower()
            ),
            scenario(2),
            scenario(3, head=h3.replace(" ", "\n")),
            scenario(4),
        ]
    )
    memory = parse_memory_output(raw, SOURCE)
    assert starts(memory)[1:] == [section_span(i)[0] for i in range(1, 5)]
    anchors = memory.metadata["anchors"]
    assert anchors["normalized"] >= 3 and anchors["exact"] + anchors["normalized"] == 10


def test_lightly_paraphrased_anchor_is_matched_fuzzily():
    raw = OUTLINE + "\n".join(
        [
            scenario(0),
            scenario(1),
            scenario(
                2, head="Distribution Network Treated water leave the plants through two trunk main"
            ),
            scenario(3),
            scenario(4),
        ]
    )
    memory = parse_memory_output(raw, SOURCE)
    assert starts(memory)[2] == section_span(2)[0]
    assert memory.metadata["anchors"]["fuzzy"] == 1


def test_chunks_out_of_order_come_back_in_document_order():
    order = [2, 0, 4, 1, 3]
    raw = "\n".join(scenario(i, core=f"core {i}") for i in order)
    memory = parse_memory_output(raw, SOURCE)
    assert [u.core for u in memory.units] == [f"core {i}" for i in range(5)]
    assert_tiles(memory)


def test_repeated_chunk_is_kept_once():
    raw = "\n".join(scenario(i) for i in [0, 1, 1, 2, 3, 4])
    memory = parse_memory_output(raw, SOURCE)
    assert len(memory.units) == 5
    assert any("repeats" in w for w in memory.metadata["parse_warnings"])


def test_fewer_outline_items_than_scenarios_titles_by_content():
    raw = "<outline>\nWater Treatment process\nBilling and Rates tiers\n</outline>\n" + "\n".join(
        scenario(i, core=c)
        for i, c in enumerate(
            [
                "The history of the water system.",
                "Water treatment process at the plant.",
                "Distribution pipes.",
                "Billing and rates tiers.",
                "Emergencies.",
            ]
        )
    )
    memory = parse_memory_output(raw, SOURCE)
    assert memory.units[1].title == "Water Treatment process"
    assert memory.units[3].title == "Billing and Rates tiers"
    assert any("outline items" in w for w in memory.metadata["parse_warnings"])


def test_more_outline_items_than_scenarios():
    raw = OUTLINE.replace("</outline>", "6. Appendix\n7. Index\n</outline>") + "\n".join(
        scenario(i, core=SECTIONS[i]) for i in range(5)
    )
    memory = parse_memory_output(raw, SOURCE)
    assert [u.title for u in memory.units] == SECTIONS


def test_chunk_written_out_whole_without_mask():
    start, end = section_span(3)
    raw = "\n".join(
        [
            scenario(0),
            scenario(1),
            scenario(2),
            f"<scenario><chunk>{SOURCE[start:end]}</chunk>\nBilling.</scenario>",
            scenario(4),
        ]
    )
    memory = parse_memory_output(raw, SOURCE)
    assert (memory.units[3].start, memory.units[3].end) == (start, end)


def test_tags_in_other_letter_case():
    raw = OUTLINE.upper().replace("<OUTLINE>", "<Outline>") + "\n".join(
        scenario(i)
        .replace("<scenario>", "<SCENARIO>")
        .replace("<chunk>", "<Chunk>")
        .replace("[MASK]", "[mask]")
        for i in range(5)
    )
    assert starts(parse_memory_output(raw, SOURCE))[1:] == [section_span(i)[0] for i in range(1, 5)]


def test_skipped_text_becomes_its_own_unit_and_the_memory_still_tiles():
    raw = "\n".join(scenario(i) for i in [0, 1, 4])  # parts 2 and 3 skipped
    memory = parse_memory_output(raw, SOURCE)
    assert_tiles(memory)
    skipped = [u for u in memory.units if u.title.endswith("(continued)")]
    assert len(skipped) == 1
    assert skipped[0].start == section_span(2)[0]
    assert skipped[0].core.startswith("Distribution Network")


def test_short_chunks_are_merged():
    text = "Tiny.\n\nA much longer paragraph that carries most of the text in this note."
    raw = "<scenario><chunk>Tiny.</chunk>x</scenario><scenario><chunk>A much[MASK]this note.</chunk>y</scenario>"
    memory = parse_memory_output(raw, text, min_chunk_chars=20)
    assert len(memory.units) == 1 and memory.units[0].core == "x y"
    assert_tiles(memory)


def test_escaped_document_text_in_anchors_is_unescaped():
    text = "Use a <b> tag & more markup here.\n\nSecond paragraph follows with words."
    raw = (
        "<scenario><chunk>Use a &lt;b&gt; tag[MASK]markup here.</chunk>html</scenario>"
        "<scenario><chunk>Second paragraph[MASK]with words.</chunk>next</scenario>"
    )
    memory = parse_memory_output(raw, text, min_chunk_chars=5)
    assert memory.chunks() == [
        "Use a <b> tag & more markup here.",
        "Second paragraph follows with words.",
    ]


def test_titles_and_cores_are_plain_text_without_entities_or_cdata():
    raw = (
        "<outline>\nR&amp;D &lt;budget&gt;\n<![CDATA[Tom & Jerry]]>\n</outline>\n"
        + scenario(0, core="Costs &amp; <![CDATA[risks & gains]]>.")
        + scenario(1)
    )
    text = SOURCE[: section_span(1)[1]]
    memory = parse_memory_output(raw, text)
    assert [u.title for u in memory.units] == ["R&D <budget>", "Tom & Jerry"]
    assert memory.units[0].core == "Costs & risks & gains."


def test_coverage_as_written_counts_text_the_model_skipped():
    raw = OUTLINE + "\n".join(scenario(i) for i in (0, 1, 3, 4))
    memory = parse_memory_output(raw, SOURCE)
    skipped = SOURCE[: section_span(0)[0]] + SOURCE[slice(*section_span(2))]  # title line too
    visible = len("".join(SOURCE.split()))
    expected = 1 - len("".join(skipped.split())) / visible
    assert memory.coverage == 1.0
    assert abs(memory.metadata["coverage_as_written"] - expected) < 0.01
    whole = parse_memory_output(OUTLINE + "\n".join(scenario(i) for i in range(5)), SOURCE)
    title = len("".join(SOURCE[: section_span(0)[0]].split()))
    assert abs(whole.metadata["coverage_as_written"] - (1 - title / visible)) < 1e-9


def test_only_mask_chunks_say_what_is_wrong():
    raw = "<outline>a\nb</outline><scenario><chunk>[MASK]</chunk>core</scenario><scenario><chunk> [mask] </chunk>x</scenario>"
    with pytest.raises(MemoryParseError, match=r"all 2 <chunk> tags .* empty \(only \[MASK\]"):
        parse_memory_output(raw, SOURCE)


def test_short_chinese_chunks_are_not_merged():
    sentences = ["水务局负责城市供水和水质检测工作。", "新的水厂在二零二零年建成并投入使用。"]
    text = "\n\n".join(sentences)
    raw = "".join(
        f"<scenario><chunk>{s[:4]}[MASK]{s[-4:]}</chunk>{s[:6]}</scenario>" for s in sentences
    )
    memory = parse_memory_output(raw, text)  # 17-18 characters each, about 12 words
    assert memory.chunks() == sentences


def test_title_matching_stays_fast_with_many_chunks_and_fewer_outline_items():
    """4,000 chunks against 2,000 outline items compare each chunk with a window of
    items around its place, not all of them (docs/benchmarks.md has the timing)."""
    words = [f"w{i}" for i in range(4000)]
    text = " ".join(f"{w} alpha beta gamma delta epsilon." for w in words)
    outline = "<outline>" + "\n".join(f"item {i}" for i in range(2000)) + "</outline>"
    body = "".join(
        f"<scenario><chunk>{w} alpha[MASK]delta epsilon.</chunk>about item {i // 2}</scenario>"
        for i, w in enumerate(words)
    )
    memory = parse_memory_output(outline + body, text, min_chunk_chars=5)
    assert len(memory.units) == 4000
    assert memory.units[1234].title == "item 617"


@pytest.mark.parametrize(
    "raw, message",
    [
        ("", "empty"),
        ("I could not read the document, sorry.", "no <chunk>"),
        ("<outline>a</outline>", "no <chunk>"),
        ("<scenario><chunk>zebra quantum[MASK]xylophone</chunk>c</scenario>", "could be located"),
    ],
)
def test_unusable_output_raises_a_clear_error(raw, message):
    with pytest.raises(MemoryParseError, match=message):
        parse_memory_output(raw, SOURCE)


def test_parse_error_is_a_value_error_and_non_text_is_refused():
    assert issubclass(MemoryParseError, ValueError)
    with pytest.raises(MemoryParseError, match="str"):
        parse_memory_output(b"<chunk>", SOURCE)  # type: ignore[arg-type]


def test_formatted_anchors_are_exact_slices_of_the_source():
    memory = DocumentMemory(
        "water", [MemoryUnit(SECTIONS[i], f"core {i}", *section_span(i)) for i in range(5)], SOURCE
    )
    again = parse_memory_output(format_memory_output(memory), SOURCE)
    assert again.metadata["anchors"] == {"exact": 10, "normalized": 0, "fuzzy": 0, "missing": 0}


def test_format_then_parse_round_trips_spans():
    memory = DocumentMemory(
        "water", [MemoryUnit(SECTIONS[i], f"core {i}", *section_span(i)) for i in range(5)], SOURCE
    )
    again = parse_memory_output(format_memory_output(memory), SOURCE)
    assert [(u.start, u.end, u.title, u.core) for u in again.units[1:]] == [
        (u.start, u.end, u.title, u.core) for u in memory.units[1:]
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model_output())
def test_any_accepted_parse_tiles_the_document(case):
    text, raw = case
    try:
        memory = parse_memory_output(raw, text, min_chunk_chars=10)
    except MemoryParseError:
        return
    assert_tiles(memory)
    assert all(len("".join(memory.source[u.start : u.end].split())) >= 1 for u in memory.units)
