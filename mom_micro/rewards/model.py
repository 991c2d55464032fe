"""The MiCRo mixture reward model: K linear reward heads and a router over them.

.. math::

    r(x, y \\mid c, u) = \\sum_k w_k(x, c, u)\\, r_k(x, y), \\qquad r_k(x, y) = v_k^\\top \\phi(x, y)

``phi`` is a frozen backbone's (prompt, response) embedding (with the style block,
:mod:`.style`), the heads ``v_k`` are bias-free linear maps (the public code's
``Linear(hidden, K, bias=False)``), and the weights ``w`` come from the stage-1 router
``f(x)``, or the stage-2 router ``f(x, c)`` for a context seen in stage 2. A user with
recorded choices adds their online correction ``beta_u^T z(x, y)`` over the user basis
``z`` (the head rewards and the style block; :mod:`.online`, :mod:`.profiles`).

What :meth:`MixtureRewardModel.score` reports is that reward bounded,
``B tanh(r / B)`` with ``B =`` :data:`SCORE_BOUND`: the order of the responses, and
``r`` itself where ``|r|`` is well under ``B``, stay; scores are finite and in
``(-B, B)`` whatever the training set, and an empty or white-space-only response scores
``-B``, below every response with text.
Training is the trainers' (:mod:`.trainer`); the model offers the public methods they
call.

Example:
    >>> from mom_micro.rewards import MixtureRewardModel, train_stage1, train_stage2
    >>> model = MixtureRewardModel.create(PreferenceFeaturizer.minilm(), n_heads=10)  # doctest: +SKIP
    >>> train_stage1(model, pairs)              # stage 1            # doctest: +SKIP
    >>> train_stage2(model, labelled_pairs)     # stage 2            # doctest: +SKIP
    >>> model.score("How do I pick a lock?", ["I can't help.", "Step 1..."],
    ...             context="harmless")                            # doctest: +SKIP
    [0.83, -1.2]
    >>> model.save("my-reward")                                    # doctest: +SKIP
    >>> model = MixtureRewardModel.load("my-reward")               # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors
from torch import nn
from torch.nn import functional as F

from mom_micro.files import atomic_write_bytes, atomic_write_text

from .config import MixtureConfig, RouterKind
from .data import PreferencePair
from .errors import CheckpointMismatchError, FeatureError, RewardsError
from .featurizer import PairFeatures, PreferenceFeaturizer
from .online import DEFAULT_L2, fit_user_weights
from .profiles import UserProfile, UserProfileStore
from .router import ContextRouter, PromptRouter, unit_context
from .scaling import FeatureScaler

__all__ = ["SCORE_BOUND", "MixtureRewardModel", "bounded_scores"]

#: Scores lie in ``(-SCORE_BOUND, SCORE_BOUND)``; an empty response scores ``-SCORE_BOUND``.
SCORE_BOUND = 10.0

CHECKPOINT_FORMAT = "mom-micro-mixture-reward/1"
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"


class MixtureRewardModel(nn.Module):
    """K reward heads on frozen features, routed per example by prompt and context, and
    corrected per user by their online weights.

    Build one with :meth:`create` (from a featurizer) or :meth:`load`; train with
    :func:`~mom_micro.rewards.trainer.train_stage1` and
    :func:`~mom_micro.rewards.trainer.train_stage2` (or the shipped recipe,
    :func:`~mom_micro.rewards.recipe.train_reward_model`); use :meth:`score`,
    :meth:`router_weights`, :meth:`weights` and :meth:`basis`; record a user's choice
    with :meth:`record_feedback`. The tensor-level methods (:meth:`log_route`,
    :meth:`head_rewards`, :meth:`pair_margins`, :meth:`user_choices`) work on
    :class:`PairFeatures` and need no featurizer.

    Args:
        config: the model's shape (:class:`MixtureConfig`).
        featurizer: turns texts into features; needed by the text-level methods.
        profiles: per-user profiles (of dim :attr:`user_dim`) for ``user=`` and
            :meth:`record_feedback`.
        stage2_contexts: the context labels a stage-2 router was trained on (learned
            state, restored by :meth:`load`); none: no stage-2 router.
    """

    def __init__(
        self,
        config: MixtureConfig,
        featurizer: PreferenceFeaturizer | None = None,
        profiles: UserProfileStore | None = None,
        stage2_contexts: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self.config = config
        self.featurizer = featurizer
        self.profiles = profiles
        if featurizer is not None:
            self._check_featurizer(featurizer)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            self.prompt_scaler = FeatureScaler(config.prompt_dim)
            self.pair_scaler = FeatureScaler(config.pair_dim)
            self.heads = nn.Linear(config.pair_dim, config.n_heads, bias=False)
            router_dim = config.prompt_dim + (config.context_dim if config.stage1_context else 0)
            self.router = PromptRouter(
                router_dim, config.n_heads, config.router, config.router_hidden
            )
        self.context_router: ContextRouter | None = None
        self.stage2_contexts: list[str] = []
        #: BLAKE2b of the saved weights (set by :meth:`save` and :meth:`load`; ``None``
        #: for a model never saved): what a profile store checks its choices against.
        self.fingerprint: str | None = None
        if stage2_contexts:
            self.add_context_router(stage2_contexts)

    # construction -------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        featurizer: PreferenceFeaturizer,
        n_heads: int = 10,
        router: RouterKind = "mlp",
        router_hidden: int = 128,
        seed: int = 0,
        profiles: UserProfileStore | None = None,
        stage1_context: bool = False,
    ) -> MixtureRewardModel:
        """A fresh model sized for ``featurizer``.

        Example:
            >>> model = MixtureRewardModel.create(PreferenceFeaturizer.minilm(), n_heads=5)  # doctest: +SKIP
        """
        config = MixtureConfig.for_featurizer(
            featurizer,
            n_heads=n_heads,
            router=router,
            router_hidden=router_hidden,
            seed=seed,
            stage1_context=stage1_context,
        )
        return cls(config, featurizer, profiles)

    @property
    def user_dim(self) -> int:
        """``D``, the size of the user basis ``z``: K head rewards + the style entries."""
        return self.config.n_heads + self.config.style_dim

    def profile_store(self, path: str | Path | None = None) -> UserProfileStore:
        """A :class:`UserProfileStore` for this model's users (``path``: its JSON file;
        ``None``: in memory), refusing a file recorded with another model."""
        return UserProfileStore(path, dim=self.user_dim, model=self.fingerprint)

    def _check_featurizer(self, featurizer: PreferenceFeaturizer) -> None:
        cfg = self.config
        got = (featurizer.prompt_dim, featurizer.pair_dim, featurizer.context_dim)
        want = (cfg.prompt_dim, cfg.pair_dim, cfg.context_dim)
        if got != want:
            raise CheckpointMismatchError(
                f"featurizer {featurizer.name} gives (prompt, pair, context) dims {got}, "
                f"the model expects {want}"
            )
        if cfg.backbone and featurizer.name != cfg.backbone:
            raise CheckpointMismatchError(
                f"the model was trained on backbone {cfg.backbone!r}, not {featurizer.name!r}"
            )

    # state the trainers set ------------------------------------------------------------
    def add_context_router(self, contexts: Sequence[str]) -> ContextRouter:
        """Create the stage-2 router for ``contexts`` as a copy of the stage-1 router
        (context term zero, so it starts out equal to the stage-1 router)."""
        self.context_router = ContextRouter(
            self.router, self.config.context_dim, self.config.n_heads
        )
        self.stage2_contexts = sorted(set(contexts))
        return self.context_router

    def reset_routing(self) -> None:
        """Drop the stage-2 router and its contexts (before the heads are trained anew)."""
        self.context_router = None
        self.stage2_contexts = []

    def fit_scalers(self, prompt_features: torch.Tensor, response_features: torch.Tensor) -> None:
        """Fit the standardisation of the router's and the heads' inputs."""
        self.prompt_scaler.fit(prompt_features)
        self.pair_scaler.fit(response_features)

    def stage1_parameters(self) -> list[nn.Parameter]:
        """What stage 1 trains: the heads and the stage-1 router."""
        return [*self.heads.parameters(), *self.router.parameters()]

    # tensor level -----------------------------------------------------------------------
    def head_rewards(self, pair_features: torch.Tensor) -> torch.Tensor:
        """``r_k(x, y)`` for each row: shape ``(n, K)``."""
        return self.heads(self.pair_scaler(pair_features))

    def router_input(
        self, prompt_features: torch.Tensor, context_features: torch.Tensor | None = None
    ) -> torch.Tensor:
        """What the stage-1 router reads: the scaled prompt embedding, and with
        ``config.stage1_context`` also ``u(c)`` (zeros where ``context_features`` is
        ``None``)."""
        scaled = self.prompt_scaler(prompt_features)
        if not self.config.stage1_context:
            return scaled
        if context_features is None:
            return torch.cat([scaled, scaled.new_zeros(len(scaled), self.config.context_dim)], 1)
        return torch.cat([scaled, unit_context(context_features)], dim=1)

    def stage1_log_route(
        self, prompt_features: torch.Tensor, context_features: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``log f(x)`` of the stage-1 router (``log f(x, c)`` with
        ``config.stage1_context``), shape ``(n, K)``."""
        return F.log_softmax(
            self.router(self.router_input(prompt_features, context_features)), dim=-1
        )

    def stage2_log_route(
        self, prompt_features: torch.Tensor, context_features: torch.Tensor
    ) -> torch.Tensor:
        """``log f(x, c)`` of the stage-2 router (call :meth:`add_context_router` first)."""
        if self.context_router is None:
            raise RewardsError("the model has no stage-2 router; run train_stage2 first")
        logits = self.context_router(
            self.router_input(prompt_features, context_features), context_features
        )
        return F.log_softmax(logits, dim=-1)

    def log_route(
        self,
        prompt_features: torch.Tensor,
        context_features: torch.Tensor | None = None,
        contexts: Sequence[str | None] | None = None,
    ) -> torch.Tensor:
        """Per-example log weights over the heads, shape ``(n, K)``.

        Rows whose context label was seen in stage 2 use ``f(x, c)``; all other rows
        (no context, an unseen context, or no stage 2 yet) use the stage-1 prior ``f(x)``
        (with ``config.stage1_context``: the stage-1 ``f(x, c)``, which reads the context
        embedding of any label, seen or not).
        """
        log_w = self.stage1_log_route(prompt_features, context_features)
        if self.context_router is None or contexts is None or context_features is None:
            return log_w
        known = set(self.stage2_contexts)
        rows = [i for i, c in enumerate(contexts) if c in known]
        if rows:
            log_w = log_w.clone()
            log_w[rows] = self.stage2_log_route(prompt_features[rows], context_features[rows])
        return log_w

    def pair_margins(self, features: PairFeatures, use_context: bool = True) -> torch.Tensor:
        """Routed reward gap ``r(x, y_w) - r(x, y_l)`` per pair, shape ``(n,)``."""
        with torch.no_grad():
            weights = self.log_route(
                features.prompt,
                features.context if use_context else None,
                features.contexts if use_context else None,
            ).exp()
            gaps = self.head_rewards(features.chosen) - self.head_rewards(features.rejected)
            return (weights * gaps).sum(dim=1)

    def user_basis(self, pair_features: torch.Tensor) -> torch.Tensor:
        """The user basis ``z(x, y)`` per row, shape ``(n, user_dim)``: the K head rewards,
        then the standardised style entries of the head input."""
        style = self.pair_scaler(pair_features)[:, pair_features.shape[1] - self.config.style_dim :]
        return torch.cat([self.head_rewards(pair_features), style], dim=1)

    def user_choices(self, features: PairFeatures, use_context: bool = True) -> torch.Tensor:
        """Each pair as a user's choice for the online fit, ``[m, g_1, ..., g_D]`` per
        row (shape ``(n, 1 + user_dim)``): ``m`` the population's routed margin, ``g``
        the gaps of the user basis (:mod:`.online`)."""
        with torch.no_grad():
            margins = self.pair_margins(features, use_context)
            gaps = self.user_basis(features.chosen) - self.user_basis(features.rejected)
            return torch.cat([margins[:, None], gaps], dim=1)

    def user_margins(
        self, features: PairFeatures, weights: torch.Tensor, use_context: bool = True
    ) -> torch.Tensor:
        """Margins ``m + beta^T g`` of a user with online weights ``weights`` (``(D,)``)."""
        choices = self.user_choices(features, use_context)
        return choices[:, 0] + choices[:, 1:] @ weights.to(choices.dtype)

    # features -------------------------------------------------------------------------
    def featurize(self, data: Sequence[PreferencePair] | PairFeatures) -> PairFeatures:
        """Features of ``data`` through the model's featurizer, or ``data`` itself when it
        is already :class:`PairFeatures` of the model's dimensions."""
        if isinstance(data, PairFeatures):
            if (
                data.prompt.shape[1] != self.config.prompt_dim
                or data.chosen.shape[1] != self.config.pair_dim
            ):
                raise FeatureError(
                    f"features of dims ({data.prompt.shape[1]}, {data.chosen.shape[1]}) do not "
                    f"match the model's ({self.config.prompt_dim}, {self.config.pair_dim})"
                )
            return data
        return self._require_featurizer().featurize(list(data))

    # text level -------------------------------------------------------------------------
    def _require_featurizer(self) -> PreferenceFeaturizer:
        if self.featurizer is None:
            raise RewardsError("this model has no featurizer; pass one to create/load")
        return self.featurizer

    def _user_offsets(self, user: str | None) -> torch.Tensor | None:
        if user is None:
            return None
        if not isinstance(user, str) or not user.strip():
            raise RewardsError(f"a user is a non-empty name, got {user!r}")
        if self.profiles is None:
            raise RewardsError(f"no profile store to look user {user!r} up in")
        return self.profiles.weights(user)

    def _warn_unseen(self, context: str | None) -> None:
        if (
            context is not None
            and self.context_router is not None
            and context not in self.stage2_contexts
        ):
            warnings.warn(
                f"context {context!r} was not seen in stage-2 training; using the stage-1 "
                "router prior",
                stacklevel=3,
            )

    def router_weights(self, prompt: str, context: str | None = None) -> torch.Tensor:
        """The population's weights over the K heads for this prompt and context (sum
        to 1). An unseen context falls back to the stage-1 prior (with a warning).

        Example:
            >>> model.router_weights("Tell me a joke", context="entertainment")  # doctest: +SKIP
            tensor([0.02, 0.61, ...])
        """
        featurizer = self._require_featurizer()
        self._warn_unseen(context)
        with torch.no_grad():
            log_w = self.log_route(
                featurizer.prompts([prompt]), featurizer.contexts([context]), [context]
            )[0]
            return torch.softmax(log_w, dim=-1)

    def weights(
        self, prompt: str, context: str | None = None, user: str | None = None
    ) -> torch.Tensor:
        """The weights the score applies to the user basis, shape ``(user_dim,)``: the
        router's ``w_k(x, c)`` on the heads (zeros on the style entries), plus the
        user's online weights ``beta_u`` (none for a new user or ``user=None``)."""
        weights = torch.zeros(self.user_dim)
        weights[: self.config.n_heads] = self.router_weights(prompt, context)
        offsets = self._user_offsets(user)
        return weights if offsets is None else weights + offsets

    def basis(self, prompt: str, responses: Sequence[str]) -> torch.Tensor:
        """The user basis ``z(x, y)`` of each response, shape ``(len(responses), user_dim)``:
        every head's reward ``r_k``, then the standardised style entries."""
        featurizer = self._require_featurizer()
        if isinstance(responses, str) or not responses:
            raise RewardsError("responses must be a non-empty list of strings")
        with torch.no_grad():
            return self.user_basis(featurizer.pairs([prompt] * len(responses), list(responses)))

    def relevance(self, prompt: str, texts: Sequence[str]) -> list[float]:
        """The backbone's cosine similarity between ``prompt`` and each text: a
        relevance model for rerankers that get no retrieval score (the embeddings are
        the ones the featurizer caches, so this costs no extra encoding).

        Example:
            >>> model.relevance("How do owls hunt?", ["Owls hunt at night.", "Tea."])  # doctest: +SKIP
            [0.71, 0.05]
        """
        featurizer = self._require_featurizer()
        with torch.no_grad():
            query = featurizer.prompts([prompt])
            return F.cosine_similarity(featurizer.prompts(list(texts)), query).tolist()

    def head_scores(self, prompt: str, responses: Sequence[str]) -> torch.Tensor:
        """Every head's reward for each response: shape ``(len(responses), K)``."""
        return self.basis(prompt, responses)[:, : self.config.n_heads]

    def score(
        self,
        prompt: str,
        responses: Sequence[str],
        context: str | None = None,
        user: str | None = None,
    ) -> list[float]:
        """The personalised reward of each response (higher is better):
        ``sum_k w_k(x, c) r_k(x, y) + beta_u^T z(x, y)``, bounded to
        ``(-SCORE_BOUND, SCORE_BOUND)`` by :func:`bounded_scores` (an empty response
        scores ``-SCORE_BOUND``).

        Example:
            >>> model.score("Plan a trip", ["Sure: day 1 ...", "No."], context="business")  # doctest: +SKIP
            [1.37, -0.88]
        """
        weights = self.weights(prompt, context, user)
        return bounded_scores(self.basis(prompt, responses) @ weights, responses)

    def record_feedback(
        self,
        user: str,
        prompt: str,
        chosen: str,
        rejected: str,
        context: str | None = None,
        l2: float = DEFAULT_L2,
    ) -> UserProfile:
        """Record "``user`` preferred ``chosen`` over ``rejected``" and refit the user's
        online weights from all their choices (:mod:`.online`; penalty ``l2``). The
        choice stores the population's margin under ``context`` (the stage-1 router
        when ``None``) and the gaps of the user basis. Needs ``model.profiles``.

        Example:
            >>> model.record_feedback("ana", "Hi?", "Hello.", "Hello! How can I help?")  # doctest: +SKIP
            UserProfile(user='ana', weights=[...], updates=1, choices=[[...]])
        """
        if self.profiles is None:
            raise RewardsError("recording a choice needs a profile store: set model.profiles")
        if self.profiles.dim != self.user_dim:
            raise CheckpointMismatchError(
                f"the profile store holds profiles of dim {self.profiles.dim}, the model's "
                f"are of dim {self.user_dim}"
            )
        features = self._require_featurizer().featurize(
            [PreferencePair(prompt, chosen, rejected, context)]
        )
        choice = self.user_choices(features)[0].tolist()
        heads = self.config.n_heads
        return self.profiles.update(user, choice, lambda rows: fit_user_weights(rows, l2, heads))

    # persistence ------------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Write ``config.json`` and ``model.safetensors`` into ``directory`` (atomic)."""
        directory = Path(directory)
        meta: dict[str, Any] = {
            "format": CHECKPOINT_FORMAT,
            "config": self.config.to_dict(),
            "state": {"stage2_contexts": self.stage2_contexts},
            "featurizer": _portable(self.featurizer.spec(), directory) if self.featurizer else None,
        }
        state = {k: v.detach().contiguous() for k, v in self.state_dict().items()}
        weights = save_tensors(state)
        atomic_write_bytes(directory / WEIGHTS_FILE, weights)
        self.fingerprint = _fingerprint(weights)
        atomic_write_text(directory / CONFIG_FILE, json.dumps(meta, indent=1))
        return directory

    @classmethod
    def load(
        cls,
        directory: str | Path,
        featurizer: PreferenceFeaturizer | None = None,
        n_heads: int | None = None,
        profiles: UserProfileStore | None = None,
        disk_cache: bool = True,
    ) -> MixtureRewardModel:
        """Load a checkpoint written by :meth:`save`.

        Without ``featurizer`` the backbone named in the checkpoint is rebuilt, with the
        on-disk feature cache unless ``disk_cache=False`` (one-off scoring). Refused
        with :class:`CheckpointMismatchError`, in one message that names the file: a
        missing, truncated or malformed ``config.json`` or ``model.safetensors``, another
        ``n_heads`` than asked for, a featurizer of another backbone or size, or weights
        that do not fit the config.
        """
        directory = Path(directory)
        config, stage2_contexts, spec = _read_config(directory / CONFIG_FILE)
        spec = _resolved(spec, directory)
        if n_heads is not None and n_heads != config.n_heads:
            raise CheckpointMismatchError(
                f"checkpoint {directory} has K={config.n_heads} heads, expected K={n_heads}"
            )
        weights_path = directory / WEIGHTS_FILE
        try:  # read before the backbone loads: a damaged file fails fast
            weights = weights_path.read_bytes()
            state = load_tensors(weights)
        except FileNotFoundError as exc:
            raise CheckpointMismatchError(f"no {WEIGHTS_FILE} in {directory}") from exc
        except (SafetensorError, ValueError, OSError) as exc:
            raise CheckpointMismatchError(
                f"{weights_path} is not a readable safetensors file (truncated or damaged?): {exc}"
            ) from exc
        if featurizer is None and spec is not None:
            try:
                featurizer = PreferenceFeaturizer.from_spec(spec, disk_cache)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise CheckpointMismatchError(
                    f"{directory / CONFIG_FILE}: its backbone {spec.get('name', spec)!r} does "
                    f"not load: {exc}"
                ) from exc
        try:
            model = cls(config, featurizer, profiles, stage2_contexts)
        except CheckpointMismatchError as exc:
            raise CheckpointMismatchError(f"checkpoint {directory}: {exc}") from exc
        expected = model.state_dict()
        problems = sorted(set(expected) ^ set(state)) + [
            f"{k}: {tuple(state[k].shape)} != {tuple(v.shape)}"
            for k, v in expected.items()
            if k in state and state[k].shape != v.shape
        ]
        if problems:
            raise CheckpointMismatchError(
                f"weights in {weights_path} do not match its config: {', '.join(problems[:5])}"
            )
        if not all(torch.isfinite(t).all() for t in state.values() if t.is_floating_point()):
            raise CheckpointMismatchError(f"{weights_path} holds NaN or infinite weights")
        model.load_state_dict(state)
        model.eval()
        model.fingerprint = _fingerprint(weights)
        return model


def bounded_scores(rewards: torch.Tensor, responses: Sequence[str]) -> list[float]:
    """The scores of ``responses`` from their rewards ``r``: ``B tanh(r / B)`` with
    ``B =`` :data:`SCORE_BOUND` (in ``(-B, B)``), and ``-B`` for an empty or
    white-space-only response, so that it ranks after every response with text.

    Example:
        >>> [round(s, 3) for s in bounded_scores(torch.tensor([0.5, 1e4, 1e4]), ["a", "b", " "])]
        [0.5, 10.0, -10.0]
    """
    bounded = SCORE_BOUND * torch.tanh(rewards.double() / SCORE_BOUND)
    return [
        float(value) if response.strip() else -SCORE_BOUND
        for value, response in zip(bounded.tolist(), responses, strict=True)
    ]


def _portable(spec: dict[str, Any], directory: Path) -> dict[str, Any]:
    """``spec`` with a backbone folder inside ``directory`` (a tuned backbone saved with
    the model) named relative to it, so that the checkpoint can be moved whole."""
    encoder = spec.get("encoder", {})
    model = encoder.get("model")
    if not isinstance(model, str) or not Path(model).is_dir():
        return spec
    try:
        relative = Path(model).resolve().relative_to(directory.resolve())
    except ValueError:
        return spec
    return {**spec, "encoder": {**encoder, "model": str(relative), "relative": True}}


def _resolved(spec: dict[str, Any] | None, directory: Path) -> dict[str, Any] | None:
    """The inverse of :func:`_portable`: a relative backbone folder under ``directory``."""
    if spec is None or not spec["encoder"].get("relative"):
        return spec
    encoder = {k: v for k, v in spec["encoder"].items() if k != "relative"}
    return {**spec, "encoder": {**encoder, "model": str(directory / encoder["model"])}}


def _fingerprint(weights: bytes) -> str:
    return hashlib.blake2b(weights, digest_size=8).hexdigest()


def _read_config(path: Path) -> tuple[MixtureConfig, list[str], dict[str, Any] | None]:
    """``(config, stage-2 contexts, featurizer spec)`` of a checkpoint's ``config.json``;
    anything malformed is a :class:`CheckpointMismatchError` naming ``path``."""
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CheckpointMismatchError(f"no {CONFIG_FILE} in {path.parent}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointMismatchError(f"{path} is not valid JSON (truncated?): {exc}") from exc
    if not isinstance(meta, dict) or meta.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointMismatchError(f"{path} is not a {CHECKPOINT_FORMAT} checkpoint")
    config_data = meta.get("config")
    if not isinstance(config_data, dict):
        raise CheckpointMismatchError(f"{path} has no 'config' object")
    config_data = dict(config_data)
    state = meta.get("state", {})
    # checkpoints written before the stage-2 contexts became model state kept them in
    # the config
    contexts = config_data.pop("contexts", None)
    if contexts is None:
        contexts = state.get("stage2_contexts", []) if isinstance(state, dict) else None
    if not isinstance(contexts, list) or not all(isinstance(c, str) for c in contexts):
        raise CheckpointMismatchError(f"{path}: the stage-2 contexts are not a list of strings")
    try:
        config = MixtureConfig.from_dict(config_data)
    except (TypeError, ValueError) as exc:
        raise CheckpointMismatchError(f"{path}: {exc}") from exc
    spec = meta.get("featurizer")
    if spec is not None and not (
        isinstance(spec, dict) and isinstance(spec.get("encoder"), dict) and "pair_mode" in spec
    ):
        raise CheckpointMismatchError(
            f"{path}: 'featurizer' must be an object with 'encoder' and 'pair_mode', got {spec!r}"
        )
    return config, contexts, spec
