"""Answer hit, token recall and the word budget, as the benchmark defines them."""

from __future__ import annotations

from mom_micro.bench import answer_hit, answer_recall, cut_to_budget, normalize_answer


def test_metrics_follow_the_definitions():
    assert normalize_answer("  The  Answer,  ") == "the answer"
    assert answer_hit("so THE answer is here", ["the answer."])
    assert not answer_hit("the answ er", ["the answer"])
    assert answer_recall("alpha beta", ["alpha, gamma"]) == 0.5
    assert cut_to_budget(["one two three", "four five"], 4) == "one two three four"
