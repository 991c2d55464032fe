"""What the MiCRo adapters share: rank candidate texts for a prompt and a user or context.

The LangChain reranker, cross-encoder and Runnable and the LlamaIndex postprocessor are
thin shells around :class:`MiCRoSettings` (the model, the default user/context, a copy
for another user) and :func:`rank_texts`, which scores every candidate with the routed
mixture ``r(x, y | c, u) = sum_k w_k(x, c, u) r_k(x, y)`` and keeps the head scores and
the weights ``w`` that produced it. :func:`record_choice` feeds a user's choice back into
their online routing (one Hedge step per rejected candidate).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import Self

from mom_micro.errors import MomMicroError
from mom_micro.rewards import (
    MixtureRewardModel,
    PreferenceFeaturizer,
    RewardsError,
    UserProfile,
    UserProfileStore,
)

__all__ = [
    "MiCRoRankingError",
    "MiCRoSettings",
    "Ranking",
    "ScoredCandidate",
    "load_micro_model",
    "rank_texts",
    "record_choice",
]


class MiCRoRankingError(MomMicroError, ValueError):
    """Bad input to a MiCRo adapter: no candidates, no user or context where one is
    required, a choice without its prompt, or a model that does not load."""


class ScoredCandidate(BaseModel):
    """One candidate with its personalised reward, as ranked for ``prompt``."""

    text: str = Field(description="The candidate text.")
    score: float = Field(description="Routed reward sum_k w_k r_k (higher is better).")
    index: int = Field(description="Position of the candidate in the input.")
    head_scores: list[float] = Field(description="Each head's reward r_k for this candidate.")
    prompt: str = Field(description="The prompt the candidate was scored for.")


class Ranking(BaseModel):
    """Candidates ranked best first, with the head weights that scored them."""

    prompt: str = Field(description="The prompt (query) the candidates answer.")
    user: str | None = Field(default=None, description="The user whose routing was used.")
    context: str | None = Field(default=None, description="The stated context, if any.")
    head_weights: list[float] = Field(description="Router weights over the K heads (sum to 1).")
    candidates: list[ScoredCandidate] = Field(description="The candidates, best first.")

    @property
    def best(self) -> ScoredCandidate:
        """The top candidate."""
        return self.candidates[0]


def rank_texts(
    model: MixtureRewardModel,
    prompt: str,
    texts: Sequence[str],
    user: str | None = None,
    context: str | None = None,
) -> Ranking:
    """Score ``texts`` as responses to ``prompt`` for ``user`` / ``context``, best first
    (ties keep the input order). Raises :class:`MiCRoRankingError` on no candidates or
    a non-string one."""
    if isinstance(texts, str):
        raise MiCRoRankingError("candidates must be a list of strings, not one string")
    if not texts:
        raise MiCRoRankingError(f"no candidates to rank for prompt {prompt[:60]!r}")
    bad = [i for i, text in enumerate(texts) if not isinstance(text, str)]
    if bad:
        raise MiCRoRankingError(
            f"candidates must be strings; candidate {bad[0]} is a {type(texts[bad[0]]).__name__}"
        )
    weights = model.router_weights(prompt, context=context, user=user)
    heads = model.head_scores(prompt, list(texts))
    scores = (heads @ weights).tolist()
    order = sorted(range(len(texts)), key=lambda i: -scores[i])
    return Ranking(
        prompt=prompt,
        user=user,
        context=context,
        head_weights=weights.tolist(),
        candidates=[
            ScoredCandidate(
                text=texts[i],
                score=scores[i],
                index=i,
                head_scores=heads[i].tolist(),
                prompt=prompt,
            )
            for i in order
        ],
    )


def load_micro_model(
    directory: str | Path,
    profiles: str | Path | None = None,
    featurizer: PreferenceFeaturizer | None = None,
) -> MixtureRewardModel:
    """Load a saved :class:`MixtureRewardModel` with a user-profile store: the JSON file
    ``profiles`` (created on the first feedback) or, without it, one in memory. Without
    ``featurizer`` the backbone named in the checkpoint is loaded."""
    try:
        model = MixtureRewardModel.load(directory, featurizer=featurizer)
    except (OSError, RewardsError, ValueError, KeyError) as exc:
        raise MiCRoRankingError(f"could not load a MiCRo model from {directory}: {exc}") from exc
    model.profiles = UserProfileStore(profiles, n_heads=model.config.n_heads)
    return model


def record_choice(
    model: MixtureRewardModel,
    user: str,
    chosen: ScoredCandidate | str,
    rejected: ScoredCandidate | str | Sequence[ScoredCandidate | str],
    prompt: str | None = None,
    tau: float = 1.0,
) -> UserProfile:
    """Feed "``user`` chose ``chosen`` over ``rejected``" into the user's routing.

    One Hedge step (:meth:`MixtureRewardModel.record_feedback`) per rejected candidate.
    Candidates from a :class:`Ranking` carry their prompt; plain strings need ``prompt``.
    """
    losers = [rejected] if isinstance(rejected, (str, ScoredCandidate)) else list(rejected)
    if not losers:
        raise MiCRoRankingError("record_choice needs at least one rejected candidate")
    if prompt is None:
        prompts = {c.prompt for c in [chosen, *losers] if isinstance(c, ScoredCandidate)}
        if len(prompts) != 1:
            raise MiCRoRankingError(
                "record_choice needs prompt= for plain-string candidates (or candidates "
                f"of one ranking); got prompts {sorted(prompts)}"
            )
        prompt = prompts.pop()

    def text(candidate: ScoredCandidate | str) -> str:
        return candidate.text if isinstance(candidate, ScoredCandidate) else candidate

    profiles = [
        model.record_feedback(user, prompt, text(chosen), text(loser), tau=tau) for loser in losers
    ]
    return profiles[-1]


class MiCRoSettings(BaseModel):
    """The fields every MiCRo adapter has: the model and whose preferences to rank by."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model: MixtureRewardModel = Field(
        description="The trained MiCRo mixture reward model (with profiles for user=)."
    )
    user: str | None = Field(
        default=None, description="Default user whose online routing personalises ranks."
    )
    context: str | None = Field(
        default=None, description="Default stated context, e.g. 'concise' (stage-2 routing)."
    )
    require_user_or_context: bool = Field(
        default=False,
        description="Refuse to rank without a user or a context instead of using the prior.",
    )

    @classmethod
    def from_model_dir(
        cls,
        directory: str | Path,
        profiles: str | Path | None = None,
        featurizer: PreferenceFeaturizer | None = None,
        **kwargs: Any,
    ) -> Self:
        """Build from a model saved with :meth:`MixtureRewardModel.save`; ``profiles`` is
        the JSON file of user profiles (in memory when omitted); ``featurizer`` replaces
        the backbone named in the checkpoint (it must match it)."""
        return cls(model=load_micro_model(directory, profiles, featurizer), **kwargs)

    def for_user(self, user: str | None = None, context: str | None = None) -> Self:
        """A copy that ranks for ``user`` and/or ``context`` (the model is shared)."""
        return self.model_copy(update={"user": user, "context": context})

    def rank(
        self, prompt: str, texts: Sequence[str], user: str | None = None, context: str | None = None
    ) -> Ranking:
        """:func:`rank_texts` with this adapter's defaults for ``user`` and ``context``."""
        user = user if user is not None else self.user
        context = context if context is not None else self.context
        if self.require_user_or_context and user is None and context is None:
            raise MiCRoRankingError(
                f"{type(self).__name__} requires a user or a context "
                "(require_user_or_context=True); pass user=... or context=..."
            )
        return rank_texts(self.model, prompt, texts, user=user, context=context)
