"""What every MiCRo adapter shares: recording choices, clear errors, loading a model folder."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document

from mom_micro.plugins.langchain import MiCRoReranker, PersonalizedRanker
from mom_micro.plugins.ranking import MiCRoRankingError
from tests.support.micro import concise, detailed, question

OWLS = question("owls")

OWL_ANSWERS = [detailed("owls"), concise("owls"), "Owls are birds.", "Owls hunt at night."]


def test_record_choice_moves_a_new_users_routing(micro_model):
    ranker = PersonalizedRanker(model=micro_model)
    request = {
        "prompt": question("tea"),
        "candidates": [concise("tea"), detailed("tea")],
        "user": "cy",
    }
    before = ranker.invoke(request)
    wanted = next(c for c in before.candidates if c.text != before.best.text)
    profile = ranker.record_choice("cy", wanted, before.best)
    assert profile.updates == 1
    after = ranker.invoke(request)
    assert after.head_weights != pytest.approx(before.head_weights, abs=1e-3)
    assert after.best.text == wanted.text
    ranker.record_choice("cy", concise("bees"), [detailed("bees")], prompt=question("bees"))
    assert micro_model.profiles.get("cy").updates == 2


def test_clear_errors(two_users, tmp_path):
    ranker = PersonalizedRanker(model=two_users)
    with pytest.raises(MiCRoRankingError, match="no candidates"):
        ranker.invoke({"prompt": OWLS, "candidates": []})
    with pytest.raises(MiCRoRankingError, match="not one string"):
        ranker.invoke({"prompt": OWLS, "candidates": "just one"})
    with pytest.raises(MiCRoRankingError, match="lacks candidates"):
        ranker.invoke({"prompt": OWLS})
    with pytest.raises(MiCRoRankingError, match="requires a user or a context"):
        MiCRoReranker(model=two_users, require_user_or_context=True).compress_documents(
            [Document("x")], OWLS
        )
    with pytest.raises(MiCRoRankingError, match="needs prompt="):
        ranker.record_choice("ana", "a", "b")
    with pytest.raises(MiCRoRankingError, match="could not load a MiCRo model from"):
        PersonalizedRanker.from_model_dir(tmp_path / "nowhere")


def test_from_model_dir_round_trip_with_a_profile_file(two_users, tmp_path):
    path = two_users.save(tmp_path / "model")
    reranker = MiCRoReranker.from_model_dir(
        path,
        profiles=tmp_path / "profiles.json",
        featurizer=two_users.featurizer,
        user="dee",
        top_n=1,
    )
    docs = [Document(text) for text in OWL_ANSWERS[:2]]
    first = reranker.compress_documents(docs, OWLS)[0]
    assert first.metadata["reward"] == pytest.approx(
        two_users.score(OWLS, [first.page_content])[0], abs=1e-4
    )
    PersonalizedRanker(model=reranker.model).record_choice(
        "dee", concise("owls"), detailed("owls"), prompt=OWLS
    )
    assert (tmp_path / "profiles.json").is_file()
