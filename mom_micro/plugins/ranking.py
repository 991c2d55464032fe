"""What the MiCRo adapters share: rank candidate texts for a prompt and a user or context.

The LangChain reranker, cross-encoder and Runnable and the LlamaIndex postprocessor are
thin shells around :class:`MiCRoRankingFields` (the model, the default user/context, a copy
for another user) and :func:`rank_texts`, which scores every candidate with the
personalised reward ``r(x, y | c, u) = sum_k w_k(x, c) r_k(x, y) + beta_u^T z(x, y)``
(the routed heads plus the user's online correction) and keeps the head scores and the
weights that produced it. Over *retrieved documents* the reward alone would forget the
question (an off-topic chunk with a higher reward would push out the relevant one), so
there the reward is combined with the retrieval relevance (:func:`combine_relevance`).
:func:`record_choice` feeds a user's choice back into their online weights.
"""

from __future__ import annotations

import math
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
    bounded_scores,
)

__all__ = [
    "DEFAULT_REWARD_WEIGHT",
    "RANKING_KEY",
    "MiCRoRankingError",
    "MiCRoRankingFields",
    "Ranking",
    "ScoredCandidate",
    "combine_relevance",
    "load_micro_model",
    "rank_texts",
    "record_choice",
]

#: Where a best-of-n answer keeps its :class:`Ranking` (as a dict): a LangChain message's
#: ``response_metadata``, a LlamaIndex response's ``raw`` or ``metadata``.
RANKING_KEY = "mom_micro_ranking"

#: ``lambda`` of :func:`combine_relevance`: how much the reward may reorder retrieved
#: documents against their relevance.
DEFAULT_REWARD_WEIGHT = 0.3


class MiCRoRankingError(MomMicroError, ValueError):
    """Bad input to a MiCRo adapter: no candidates, no user or context where one is
    required, a choice without its prompt, or a model that does not load."""


class ScoredCandidate(BaseModel):
    """One candidate with its personalised reward, as ranked for ``prompt``."""

    text: str = Field(description="The candidate text.")
    score: float = Field(
        description="What the ranking sorts by: the reward, or over retrieved documents "
        "the reward combined with the relevance (higher is better)."
    )
    reward: float = Field(
        description="The personalised reward r(x, y | c, u), bounded to (-SCORE_BOUND, "
        "SCORE_BOUND) (mom_micro.rewards.bounded_scores; -SCORE_BOUND for an empty text)."
    )
    relevance: float | None = Field(
        default=None, description="The retrieval relevance combined with the reward, if any."
    )
    index: int = Field(description="Position of the candidate in the input.")
    head_scores: list[float] = Field(description="Each head's reward r_k for this candidate.")
    prompt: str = Field(description="The prompt the candidate was scored for.")


class Ranking(BaseModel):
    """Candidates ranked best first, with the weights that scored them."""

    prompt: str = Field(description="The prompt (query) the candidates answer.")
    user: str | None = Field(default=None, description="The user whose profile was used.")
    context: str | None = Field(default=None, description="The stated context, if any.")
    head_weights: list[float] = Field(
        description="The weight of each head in the reward: the router's w_k (sum to 1) "
        "plus the user's signed online weight beta_k."
    )
    style_weights: list[float] = Field(
        default_factory=list,
        description="The user's online weights on the style entries (empty without them).",
    )
    candidates: list[ScoredCandidate] = Field(description="The candidates, best first.")

    @property
    def best(self) -> ScoredCandidate:
        """The top candidate."""
        return self.candidates[0]


def _unit_range(values: Sequence[float]) -> list[float]:
    low, high = min(values), max(values)
    if high - low <= 1e-12 * max(1.0, abs(high)):
        return [1.0] * len(values)
    return [(v - low) / (high - low) for v in values]


def combine_relevance(
    rewards: Sequence[float],
    relevance: Sequence[float],
    reward_weight: float = DEFAULT_REWARD_WEIGHT,
) -> list[float]:
    r"""The ranking score of retrieved documents: relevance first, the reward reorders.

    .. math::

        s_i = (1 - \lambda)\,\hat\rho_i + \lambda\,\hat r_i, \qquad
        \hat v_i = \frac{v_i - \min_j v_j}{\max_j v_j - \min_j v_j}

    ``rho`` is the retrieval relevance (the retriever's score, or the backbone's cosine
    between query and document), ``r`` the personalised reward, both put on ``[0, 1]``
    over the candidates of one query (all 1 when they are equal), and ``lambda`` is
    ``reward_weight`` (default 0.3). Min-max scaling makes the rule independent of each
    score's units (cosines, BM25, fused scores; rewards). What it guarantees: a
    document can pass one that is more relevant only if its relevance gap, as a share
    of the range, is below ``lambda / (1 - lambda)`` (0.43 at the default): documents near
    the top of the relevance range are reordered by the user's reward, documents far
    below it (off-topic ones) are not lifted over the relevant ones whatever their
    reward. ``lambda = 0`` is the retriever's order, ``lambda = 1`` the reward's.

    Example:
        >>> [round(s, 3) for s in combine_relevance(
        ...     rewards=[0.0, 1.0, 5.0], relevance=[0.9, 0.88, 0.1])]  # relevant, relevant, off-topic
        [0.7, 0.742, 0.3]
    """
    if not 0 <= reward_weight <= 1:
        raise MiCRoRankingError(f"reward_weight must be in [0, 1], got {reward_weight}")
    if len(rewards) != len(relevance):
        raise MiCRoRankingError(f"{len(rewards)} rewards for {len(relevance)} relevance scores")
    if not rewards:
        return []
    rho, r = _unit_range(relevance), _unit_range(rewards)
    return [(1 - reward_weight) * a + reward_weight * b for a, b in zip(rho, r, strict=True)]


def rank_texts(
    model: MixtureRewardModel,
    prompt: str,
    texts: Sequence[str],
    user: str | None = None,
    context: str | None = None,
    relevance: Sequence[float] | None = None,
    reward_weight: float = DEFAULT_REWARD_WEIGHT,
) -> Ranking:
    """Score ``texts`` as responses to ``prompt`` for ``user`` / ``context``, best first
    (ties keep the input order). With ``relevance`` (one per text: retrieved documents)
    the ranking sorts by :func:`combine_relevance`, else by the reward. An empty or
    white-space-only text ranks after every text with words: its reward is the lowest
    there is (``-SCORE_BOUND``), and with ``relevance`` it is left out of the
    combination (its score 0, the bottom of the combined range). Raises
    :class:`MiCRoRankingError` on no candidates or a non-string one."""
    if isinstance(texts, str):
        raise MiCRoRankingError("candidates must be a list of strings, not one string")
    if not texts:
        raise MiCRoRankingError(f"no candidates to rank for prompt {prompt[:60]!r}")
    bad = [i for i, text in enumerate(texts) if not isinstance(text, str)]
    if bad:
        raise MiCRoRankingError(
            f"candidates must be strings; candidate {bad[0]} is a {type(texts[bad[0]]).__name__}"
        )
    try:
        weights = model.weights(prompt, context=context, user=user)
        basis = model.basis(prompt, list(texts))
    except RewardsError as exc:
        raise MiCRoRankingError(str(exc)) from exc
    rewards = bounded_scores(basis @ weights, texts)
    blank = [not text.strip() for text in texts]
    if relevance is None:
        scores = rewards
    else:
        if len(relevance) != len(texts):
            raise MiCRoRankingError(
                f"{len(texts)} candidates for {len(relevance)} relevance scores"
            )
        kept = [i for i in range(len(texts)) if not blank[i]]
        combined = combine_relevance(
            [rewards[i] for i in kept], [relevance[i] for i in kept], reward_weight
        )
        scores = [0.0] * len(texts)
        for i, score in zip(kept, combined, strict=True):
            scores[i] = score
    order = sorted(range(len(texts)), key=lambda i: (blank[i], -scores[i]))
    heads = model.config.n_heads
    return Ranking(
        prompt=prompt,
        user=user,
        context=context,
        head_weights=weights[:heads].tolist(),
        style_weights=weights[heads:].tolist(),
        candidates=[
            ScoredCandidate(
                text=texts[i],
                score=scores[i],
                reward=rewards[i],
                relevance=None if relevance is None else float(relevance[i]),
                index=i,
                head_scores=basis[i, :heads].tolist(),
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
        model.profiles = model.profile_store(profiles)
    except (OSError, RewardsError, ValueError, KeyError) as exc:
        raise MiCRoRankingError(f"could not load a MiCRo model from {directory}: {exc}") from exc
    return model


def record_choice(
    model: MixtureRewardModel,
    user: str,
    chosen: ScoredCandidate | str,
    rejected: ScoredCandidate | str | Sequence[ScoredCandidate | str],
    prompt: str | None = None,
    context: str | None = None,
) -> UserProfile:
    """Feed "``user`` chose ``chosen`` over ``rejected``" into the user's online weights.

    One recorded choice (:meth:`MixtureRewardModel.record_feedback`) per rejected
    candidate. Candidates from a :class:`Ranking` carry their prompt; plain strings need
    ``prompt``.
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

    try:
        profiles = [
            model.record_feedback(user, prompt, text(chosen), text(loser), context=context)
            for loser in losers
        ]
    except RewardsError as exc:
        raise MiCRoRankingError(str(exc)) from exc
    return profiles[-1]


class MiCRoRankingFields(BaseModel):
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
    reward_weight: float = Field(
        default=DEFAULT_REWARD_WEIGHT,
        ge=0.0,
        le=1.0,
        description="Over retrieved documents: lambda of combine_relevance, how far the "
        "reward may reorder documents against their retrieval relevance (0: retriever's "
        "order, 1: reward only).",
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
        self,
        prompt: str,
        texts: Sequence[str],
        user: str | None = None,
        context: str | None = None,
        relevance: Sequence[float] | None = None,
    ) -> Ranking:
        """:func:`rank_texts` with this adapter's defaults for ``user`` and ``context``
        (and its ``reward_weight`` where ``relevance`` is given)."""
        user = user if user is not None else self.user
        context = context if context is not None else self.context
        if self.require_user_or_context and user is None and context is None:
            raise MiCRoRankingError(
                f"{type(self).__name__} requires a user or a context "
                "(require_user_or_context=True); pass user=... or context=..."
            )
        return rank_texts(
            self.model,
            prompt,
            texts,
            user=user,
            context=context,
            relevance=relevance,
            reward_weight=self.reward_weight,
        )

    def rank_documents(
        self, query: str, texts: Sequence[str], scores: Sequence[float | None] | None = None
    ) -> Ranking:
        """Rank retrieved documents: relevance combined with the reward
        (:func:`combine_relevance`). The relevance is the retriever's ``scores`` when
        every document has one, else the backbone's cosine between the query and each
        text (:meth:`~mom_micro.rewards.MixtureRewardModel.relevance`)."""
        if (
            scores is not None
            and len(scores) == len(texts)
            and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                for v in scores
            )
        ):
            relevance = [float(v) for v in scores]  # type: ignore[arg-type]
        else:
            relevance = self.model.relevance(query, list(texts)) if texts else []
        return self.rank(query, texts, relevance=relevance)
