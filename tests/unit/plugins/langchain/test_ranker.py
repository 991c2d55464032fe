"""PersonalizedRanker as a LangChain Runnable: invoke, batch, stream, async."""

from __future__ import annotations

from mom_micro.plugins.langchain import PersonalizedRanker
from tests.support.micro import concise, detailed, question

OWLS = question("owls")

OWL_ANSWERS = [detailed("owls"), concise("owls"), "Owls are birds.", "Owls hunt at night."]


def test_ranker_runnable_invoke_batch_stream_async(two_users):
    ranker = PersonalizedRanker(model=two_users)
    request = {"prompt": OWLS, "candidates": OWL_ANSWERS}
    ana = ranker.invoke({**request, "user": "ana"})
    assert ana.best.text == concise("owls") and ana.user == "ana"
    assert sorted(c.index for c in ana.candidates) == [0, 1, 2, 3]
    assert [c.score for c in ana.candidates] == sorted(
        (c.score for c in ana.candidates), reverse=True
    )
    batch = ranker.batch([{**request, "user": "ana"}, {**request, "user": "bo"}])
    assert [r.best.text for r in batch] == [concise("owls"), detailed("owls")]
    assert batch[0].head_weights != batch[1].head_weights
    assert list(ranker.stream({**request, "user": "bo"}))[-1].best.text == detailed("owls")


async def test_ranker_async(two_users):
    ranker = PersonalizedRanker(model=two_users, user="ana")
    result = await ranker.ainvoke({"prompt": OWLS, "candidates": OWL_ANSWERS})
    assert result.best.text == concise("owls")
    both = await ranker.abatch([{"prompt": OWLS, "candidates": OWL_ANSWERS, "user": "bo"}])
    assert both[0].best.text == detailed("owls")
