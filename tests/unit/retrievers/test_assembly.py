"""Context assembly: passages of relevant neighbours, best sentences, the word budget."""

from __future__ import annotations

import pytest

from mom_micro.retrievers.assembly import assemble_passages, marginal_score
from mom_micro.retrievers.fusion import FusedScore, LayerWeights

TEXTS = {
    ("d", 0): "The outbreak began in December. Cases rose in January.",
    ("d", 1): "The incubation period was five days. Most patients had a fever.",
    ("d", 2): "Masks were advised for health workers.",
    ("d", 3): "The vaccine trial started in March. It enrolled forty people.",
    ("e", 0): "Another paper about soil bacteria and their growth.",
}


def _ranked(*scored):
    return [FusedScore(key, chunk=0.5, core=0.0, outline=0.0, score=s) for key, s in scored]


def _words(text):
    return len(text.split())


def test_neighbours_that_earn_a_place_join_in_document_order_and_none_repeats():
    ranked = _ranked((("d", 1), 0.9), (("e", 0), 0.8), (("d", 0), 0.7), (("d", 3), 0.2))
    passages = assemble_passages(ranked, TEXTS.get, max_words=40)
    assert [p.units for p in passages[:2]] == [(0, 1), (0,)]
    assert passages[0].text == TEXTS[("d", 0)] + "\n" + TEXTS[("d", 1)]
    assert passages[0].score == 0.9 and passages[1].doc_id == "e"
    # every chunk at most once, and the whole context within the budget
    units = [(p.doc_id, u) for p in passages for u in p.units]
    assert len(units) == len(set(units))
    assert sum(_words(p.text) for p in passages) <= 40
    assert all(p.words == _words(p.text) for p in passages)


def test_a_neighbour_below_the_marginal_score_stays_out():
    # 19 words hold d1 (11) and e0 (8): d0 (0.1) would not have earned a place
    ranked = _ranked((("d", 1), 0.9), (("e", 0), 0.8), (("d", 0), 0.1))
    passages = assemble_passages(ranked, TEXTS.get, max_words=19)
    assert passages[0].units == (1,)
    assert marginal_score(ranked, lambda key: _words(TEXTS[key]), 19, 4) == 0.8
    # one word more, and d0 would have been in the context: it joins d1 (20 words)
    assert assemble_passages(ranked, TEXTS.get, max_words=20)[0].units == (0, 1)


def test_a_neighbour_that_would_push_its_seed_past_the_budget_stays_out():
    ranked = _ranked((("d", 1), 0.9), (("d", 0), 0.8))
    # d0 is relevant (the budget reaches it) but d0 + d1 is 20 words: d1 stays whole and
    # d0 keeps what fits of its sentences after it
    passages = assemble_passages(ranked, TEXTS.get, max_words=15)
    assert [p.units for p in passages] == [(1,), (0,)]
    assert passages[0].text == TEXTS[("d", 1)]
    assert passages[1].text == "Cases rose in January." and passages[1].trimmed


def test_the_passage_that_does_not_fit_keeps_its_best_sentences():
    ranked = [
        FusedScore(("d", 1), chunk=0.5, core=0, outline=0, score=0.9),
        FusedScore(("d", 3), chunk=0.5, core=0, outline=0, score=0.8),
    ]
    # the second sentence of d3 is its probe found by the query; 5 words are left
    probes = {("d", 3): {1: 0.9, 0: 0.1}}
    passages = assemble_passages(ranked, TEXTS.get, max_words=16, probes=probes, probe_floor=0.1)
    assert [p.text for p in passages] == [TEXTS[("d", 1)], "It enrolled forty people."]
    assert passages[1].trimmed and passages[1].words == 4
    # the plain context cuts the same chunk at its first words instead
    plain = assemble_passages(ranked, TEXTS.get, max_words=16, assemble=False)
    assert [p.text for p in plain] == [TEXTS[("d", 1)], "The vaccine trial started in"]


def test_the_query_words_choose_between_sentences_no_probe_was_found_for():
    ranked = [FusedScore(("d", 1), chunk=0.5, core=0, outline=0, lexical=1.0, score=0.9)]
    passages = assemble_passages(
        ranked, TEXTS.get, max_words=6, weights=LayerWeights(), query="who had a fever?"
    )
    assert [p.text for p in passages] == ["Most patients had a fever."]


def test_without_a_budget_the_top_k_chunks_are_grouped_and_nothing_is_trimmed():
    ranked = _ranked((("d", 2), 0.9), (("d", 1), 0.8), (("e", 0), 0.7), (("d", 3), 0.6))
    passages = assemble_passages(ranked, TEXTS.get, similarity_top_k=3)
    assert [p.units for p in passages] == [(1, 2), (0,)]
    assert not any(p.trimmed for p in passages)


def test_skipped_chunks_are_left_out():
    ranked = _ranked((("d", 1), 0.9), (("d", 2), 0.8))
    passages = assemble_passages(ranked, {("d", 2): TEXTS[("d", 2)]}.get, max_words=50)
    assert [p.units for p in passages] == [(2,)]


@pytest.mark.parametrize("budget", [1, 5, 12, 30, 100])
def test_any_budget_is_respected(budget):
    ranked = _ranked(*[(key, 1.0 - i / 10) for i, key in enumerate(TEXTS)])
    for assemble in (True, False):
        passages = assemble_passages(ranked, TEXTS.get, max_words=budget, assemble=assemble)
        assert sum(_words(p.text) for p in passages) <= budget
