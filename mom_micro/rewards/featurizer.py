"""Preference features from a frozen backbone: what the router and the heads read.

For a pair ``(x, y_w, y_l, c)`` the featurizer gives

- the **prompt embedding** ``e(x)`` (router input),
- the **(prompt, response) embedding** ``phi(x, y)`` for each response (head input):
  ``pair_mode="compose"`` uses ``[e(y), e(x) * e(y)]`` from separate embeddings (cheap,
  right for sentence encoders, and shared prompts are embedded once);
  ``pair_mode="joint"`` embeds the whole exchange, ``e(pair_text(x, y))`` (what MiCRo does
  with a reward model's last-token state; right for causal LMs),
- the **context embedding** ``e(c)`` (stage-2 router input; zeros where there is none).

With ``style=True`` (the default of :meth:`PreferenceFeaturizer.minilm` and
:meth:`~PreferenceFeaturizer.from_backbone`) the head input also carries the
**style block** ``s(x, y)`` of :mod:`.style` (length, sentences, lists, steps, code,
hedges, refusals, ...): ``phi(x, y) = [e(y), e(x) * e(y), s(x, y)]``. Embeddings barely
see how long an answer is or whether it is a list; many preferences are about exactly
that.

Example:
    >>> featurizer = PreferenceFeaturizer.minilm()                       # doctest: +SKIP
    >>> feats = featurizer.featurize([PreferencePair("Hi", "Hello!", "Go away.")])  # doctest: +SKIP
    >>> feats.prompt.shape, feats.chosen.shape                           # doctest: +SKIP
    (torch.Size([1, 384]), torch.Size([1, 768]))
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch

from .data import PreferencePair
from .encoders import LastTokenEncoder, SentenceTransformerEncoder, TextEncoder, encoder_from_spec
from .errors import FeatureError
from .feature_cache import CachedEncoder, FeatureCache
from .splits import prompt_groups
from .style import STYLE_DIM, STYLE_VERSION, style_matrix

__all__ = ["PairFeatures", "PreferenceFeaturizer", "compose"]

PairMode = Literal["compose", "joint"]
#: What a Hugging Face model id looks like ("name" or "org/name"); anything else is a path.
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


def compose(prompt: torch.Tensor, response: torch.Tensor) -> torch.Tensor:
    """Composed pair features ``[e(y), e(x) * e(y)]`` from prompt and response embeddings.

    Example:
        >>> compose(torch.tensor([[2.0]]), torch.tensor([[3.0]])).tolist()
        [[3.0, 6.0]]
    """
    return torch.cat([response, prompt * response], dim=1)


@dataclass
class PairFeatures:
    """Feature tensors of ``n`` preference pairs (row ``i`` is pair ``i``).

    ``contexts`` are the pairs' context labels (``None`` where absent); ``context`` holds
    their embeddings (zero rows where absent); ``groups`` numbers the distinct prompts,
    so that splits can keep a prompt on one side.
    """

    prompt: torch.Tensor
    chosen: torch.Tensor
    rejected: torch.Tensor
    context: torch.Tensor
    contexts: list[str | None]
    groups: torch.Tensor

    def __post_init__(self) -> None:
        n = self.prompt.shape[0]
        tensors = {
            "prompt": self.prompt,
            "chosen": self.chosen,
            "rejected": self.rejected,
            "context": self.context,
            "groups": self.groups,
        }
        if any(t.shape[0] != n for t in tensors.values()) or len(self.contexts) != n:
            raise FeatureError("feature tensors have different numbers of rows")
        if self.chosen.shape != self.rejected.shape:
            raise FeatureError("chosen and rejected features have different shapes")
        for name in ("prompt", "chosen", "rejected", "context"):
            if not torch.isfinite(tensors[name]).all():
                raise FeatureError(f"NaN or inf in the {name} features")

    def __len__(self) -> int:
        return self.prompt.shape[0]

    def subset(self, index: Sequence[int] | torch.Tensor) -> PairFeatures:
        """The rows in ``index`` (in that order)."""
        idx = torch.as_tensor(index, dtype=torch.long)
        return PairFeatures(
            self.prompt[idx],
            self.chosen[idx],
            self.rejected[idx],
            self.context[idx],
            [self.contexts[i] for i in idx.tolist()],
            self.groups[idx],
        )

    def context_labels(self) -> list[str]:
        """The distinct context labels, sorted."""
        return sorted({c for c in self.contexts if c is not None})


class PreferenceFeaturizer:
    """Turns texts and :class:`PreferencePair` lists into features (see module docstring).

    Args:
        encoder: a :class:`TextEncoder`; wrapped in a :class:`CachedEncoder` (the
            on-disk cache under ``cache_dir()/features``) unless it already is one.
        pair_mode: ``"compose"`` or ``"joint"``.
        style: join the style block :func:`~mom_micro.rewards.style.style_features` to
            the head input (``STYLE_DIM`` more entries; part of :attr:`name`).
    """

    def __init__(
        self,
        encoder: TextEncoder | CachedEncoder,
        pair_mode: PairMode = "compose",
        style: bool = False,
    ) -> None:
        if pair_mode not in ("compose", "joint"):
            raise ValueError(f"pair_mode must be 'compose' or 'joint', got {pair_mode!r}")
        self.encoder = encoder if isinstance(encoder, CachedEncoder) else CachedEncoder(encoder)
        self.pair_mode: PairMode = pair_mode
        self.style = bool(style)
        self.name = f"{self.encoder.name}|{pair_mode}" + (f"|style{STYLE_VERSION}" if style else "")
        self.prompt_dim = self.encoder.dim
        self.context_dim = self.encoder.dim
        backbone_dim = 2 * self.encoder.dim if pair_mode == "compose" else self.encoder.dim
        self.style_dim = STYLE_DIM if style else 0
        self.pair_dim = backbone_dim + self.style_dim

    @classmethod
    def minilm(cls, style: bool = True) -> PreferenceFeaturizer:
        """The bundled MiniLM with composed pair features (384-d prompt, 768-d pair, plus
        the style block unless ``style=False``)."""
        return cls(SentenceTransformerEncoder(), "compose", style)

    @classmethod
    def smollm2(cls, max_length: int = 512, style: bool = True) -> PreferenceFeaturizer:
        """SmolLM2-135M-Instruct last-token states, joint pair features (576-d, plus the
        style block unless ``style=False``)."""
        return cls(LastTokenEncoder.smollm2(max_length), "joint", style)

    @classmethod
    def from_backbone(cls, backbone: str, style: bool = True) -> PreferenceFeaturizer:
        """``"minilm"``, ``"smollm2"``, a sentence-transformers folder (composed pair
        features) or any other Hugging Face model folder (last-token, joint); the style
        block joined unless ``style=False``. A name that is none of these is refused
        with :class:`~mom_micro.rewards.errors.FeatureError` (nothing is downloaded).

        Example:
            >>> PreferenceFeaturizer.from_backbone("minilm").pair_dim   # doctest: +SKIP
            788
        """
        if backbone == "minilm":
            return cls.minilm(style)
        if backbone == "smollm2":
            return cls.smollm2(style=style)
        path = Path(backbone)
        if (path / "modules.json").is_file():
            return cls(SentenceTransformerEncoder(backbone), "compose", style)
        if (path / "config.json").is_file():
            return cls(LastTokenEncoder.from_pretrained(backbone), "joint", style)
        if path.exists() or not _HUB_ID.match(backbone):
            what = (
                "it has no config.json or modules.json"
                if path.is_dir()
                else ("it is a file" if path.exists() else "it does not exist")
            )
            raise FeatureError(f"backbone {backbone}: no such model folder ({what})")
        try:  # a Hugging Face id, loaded from the local cache (nothing is downloaded)
            return cls(LastTokenEncoder.from_pretrained(backbone), "joint", style)
        except (OSError, ValueError) as exc:
            raise FeatureError(
                f"backbone {backbone!r}: no such folder, and not a model in the local "
                f"Hugging Face cache ({type(exc).__name__})"
            ) from exc

    @classmethod
    def from_spec(cls, spec: dict[str, Any], disk_cache: bool = True) -> PreferenceFeaturizer:
        """Rebuild from :meth:`spec` (as stored in a checkpoint; a spec without
        ``style``, from before the style block, has none); ``disk_cache=False`` keeps the
        feature cache in memory (a one-off ranking need not read the whole cache)."""
        encoder = encoder_from_spec(spec["encoder"])
        cache = None if disk_cache else FeatureCache(None, encoder.name)
        return cls(CachedEncoder(encoder, cache), spec["pair_mode"], bool(spec.get("style", False)))

    def spec(self) -> dict[str, Any]:
        """JSON describing the backbone, pair mode and style block (stored in checkpoints)."""
        return {
            "name": self.name,
            "encoder": self.encoder.spec(),
            "pair_mode": self.pair_mode,
            "style": self.style,
        }

    def prompts(self, texts: Sequence[str]) -> torch.Tensor:
        """Prompt embeddings ``e(x)``, shape ``(n, prompt_dim)``."""
        return self.encoder.encode_tensor(texts)

    def contexts(self, labels: Sequence[str | None]) -> torch.Tensor:
        """Context embeddings ``e(c)``, zero rows for ``None``; shape ``(n, context_dim)``."""
        out = torch.zeros(len(labels), self.context_dim)
        present = [i for i, c in enumerate(labels) if c is not None]
        if present:
            out[present] = self.encoder.encode_tensor([c for c in labels if c is not None])
        return out

    def pairs(
        self,
        prompts: Sequence[str],
        responses: Sequence[str],
        prompt_features: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Head inputs ``phi(x_i, y_i)``, shape ``(n, pair_dim)``."""
        if self.pair_mode == "joint":
            texts = [self.encoder.pair_text(p, r) for p, r in zip(prompts, responses, strict=True)]
            parts = [self.encoder.encode_tensor(texts)]
        else:
            ex = self.prompts(prompts) if prompt_features is None else prompt_features
            parts = [compose(ex, self.encoder.encode_tensor(responses))]
        if self.style:
            parts.append(style_matrix(prompts, responses))
        return torch.cat(parts, dim=1)

    def featurize(self, pairs: Sequence[PreferencePair]) -> PairFeatures:
        """Features of every pair (texts are embedded once each, through the cache)."""
        prompts = [p.prompt for p in pairs]
        ex = self.prompts(prompts)
        chosen = self.pairs(prompts, [p.chosen for p in pairs], ex)
        rejected = self.pairs(prompts, [p.rejected for p in pairs], ex)
        labels = [p.context for p in pairs]
        groups = prompt_groups(prompts)
        return PairFeatures(ex, chosen, rejected, self.contexts(labels), labels, groups)
