"""Frozen text encoders (backbones) that turn texts into fixed vectors.

Two kinds, one protocol (:class:`TextEncoder`):

- :class:`SentenceTransformerEncoder` — any sentence-transformers model; by default the
  bundled all-MiniLM-L6-v2 (384-d), which works offline.
- :class:`LastTokenEncoder` — any Hugging Face causal LM or reward model: the last
  layer's hidden state at the last (non-padding) token, as MiCRo uses its backbone's.
  ``LastTokenEncoder.smollm2()`` is the offline SmolLM2-135M-Instruct (576-d).

Example:
    >>> encoder = SentenceTransformerEncoder()          # doctest: +SKIP
    >>> encoder.encode(["hello", "world"]).shape        # doctest: +SKIP
    (2, 384)
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch

from mom_micro.models.minilm import MAX_TOKENS

from .errors import RewardsError

__all__ = ["LastTokenEncoder", "SentenceTransformerEncoder", "TextEncoder", "encoder_from_spec"]

BUNDLED_MINILM = "minilm"
BUNDLED_SMOLLM2 = "smollm2"


@runtime_checkable
class TextEncoder(Protocol):
    """A frozen backbone: ``encode`` maps texts to a float32 array of shape ``(n, dim)``.

    ``name`` identifies the backbone (it keys the feature cache and is checked when a
    checkpoint is loaded); ``spec`` is the JSON needed to rebuild the encoder.
    """

    name: str
    dim: int

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Vectors of ``texts``, shape ``(len(texts), dim)``."""
        ...

    def pair_text(self, prompt: str, response: str) -> str:
        """The text a joint featurizer embeds for the exchange ``(prompt, response)``."""
        ...

    def spec(self) -> dict[str, Any]:
        """JSON that rebuilds the encoder (stored in checkpoints)."""
        ...


def _weights_tag(model: str) -> str:
    """``"@<hash>"`` of a model folder's weights (empty for anything else): two folders
    of the same name, such as two tuned backbones, must not share cached features."""
    for name in ("model.safetensors", "pytorch_model.bin"):
        weights = Path(model) / name
        if weights.is_file():
            digest = hashlib.blake2b(digest_size=6)
            with weights.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            return f"@{digest.hexdigest()}"
    return ""


def _plain_pair_text(prompt: str, response: str) -> str:
    return f"{prompt}\n\n{response}"


class SentenceTransformerEncoder:
    """A sentence-transformers model as a :class:`TextEncoder`.

    The bundled MiniLM at its own token limit runs on ONNX Runtime
    (:func:`mom_micro.models.defaults.minilm`: the same vectors to about 1e-7, without importing
    sentence-transformers and transformers, which cost seconds at each start of
    ``reward rank``); any other model, or another token limit, runs on
    sentence-transformers.

    Args:
        model: ``"minilm"`` (the bundled all-MiniLM-L6-v2) or a local path / model id.
        max_seq_length: optional override of the model's token limit.
    """

    def __init__(self, model: str = BUNDLED_MINILM, max_seq_length: int | None = None) -> None:
        from mom_micro.models import defaults

        self._ref = model
        self._st: Any = None
        self._onnx: Any = None
        if model == BUNDLED_MINILM and max_seq_length in (None, MAX_TOKENS):
            self._onnx = defaults.minilm()
            self.dim, self.max_seq_length = self._onnx.dim, MAX_TOKENS
        else:
            if model == BUNDLED_MINILM:
                self._st = defaults.sentence_transformer()
            else:
                from sentence_transformers import SentenceTransformer

                self._st = SentenceTransformer(model, device="cpu")
            if max_seq_length is not None:
                self._st.max_seq_length = max_seq_length
            dimension = getattr(self._st, "get_embedding_dimension", None)  # ST >= 5
            if dimension is None:
                dimension = self._st.get_sentence_embedding_dimension
            size = dimension()
            if size is None:
                raise RewardsError(f"sentence-transformers model {model!r} reports no vector size")
            self.dim, self.max_seq_length = int(size), int(self._st.max_seq_length)
        label = "all-MiniLM-L6-v2" if model == BUNDLED_MINILM else Path(model).name
        self.name = f"st:{label}{_weights_tag(model)}:{self.max_seq_length}"

    @property
    def model(self) -> Any:
        """The model as a ``SentenceTransformer`` (loaded on first use for the bundled
        MiniLM, which encodes on ONNX Runtime)."""
        if self._st is None:
            from mom_micro.models import defaults

            self._st = defaults.sentence_transformer()
        return self._st

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Embed ``texts`` (no progress bar here; :class:`CachedEncoder` shows one)."""
        if self._onnx is not None:
            return self._onnx.encode(list(texts), batch_size=batch_size)
        vectors = self._st.encode(
            list(texts), batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)

    def pair_text(self, prompt: str, response: str) -> str:
        """Prompt and response joined by a blank line."""
        return _plain_pair_text(prompt, response)

    def spec(self) -> dict[str, Any]:
        """JSON that :func:`encoder_from_spec` turns back into this encoder."""
        return {
            "kind": "sentence-transformer",
            "model": self._ref,
            "max_seq_length": self.max_seq_length,
        }


class LastTokenEncoder:
    """Last-token hidden state of a frozen Hugging Face causal LM or reward model.

    Texts are right-padded; the vector is the last layer's hidden state at each text's
    final real token. ``pair_text`` uses the tokenizer's chat template when it has one
    (user turn = prompt, assistant turn = response), as reward models are trained.

    Args:
        model: a loaded ``transformers`` model (any that returns ``hidden_states``).
        tokenizer: its tokenizer.
        ref: how to load it again (``"smollm2"`` or a path / model id), for ``spec``.
        max_length: token limit per text (longer texts keep their end, where the
            last-token state is read).
    """

    def __init__(self, model: Any, tokenizer: Any, ref: str, max_length: int = 512) -> None:
        self._model = model.eval()
        self._tokenizer = tokenizer
        if self._tokenizer.pad_token is None:
            self._tokenizer.pad_token = self._tokenizer.eos_token
        self._tokenizer.padding_side = "right"
        self._tokenizer.truncation_side = "left"
        self._ref = ref
        self.max_length = max_length
        self.dim = int(model.config.hidden_size)
        self.name = f"last-token:{Path(ref).name}:{max_length}"

    @classmethod
    def smollm2(cls, max_length: int = 512) -> LastTokenEncoder:
        """The offline SmolLM2-135M-Instruct (see :func:`mom_micro.models.defaults.smollm2`)."""
        from mom_micro.models import defaults

        model, tokenizer = defaults.smollm2()
        return cls(model, tokenizer, ref=BUNDLED_SMOLLM2, max_length=max_length)

    @classmethod
    def from_pretrained(cls, name_or_path: str, max_length: int = 512) -> LastTokenEncoder:
        """Load any causal LM / reward model backbone with ``AutoModel`` from a folder or
        the local Hugging Face cache (``local_files_only``: nothing is downloaded)."""
        from transformers import AutoModel, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(name_or_path, local_files_only=True)
        model = AutoModel.from_pretrained(name_or_path, local_files_only=True)
        return cls(model, tokenizer, ref=name_or_path, max_length=max_length)

    @torch.no_grad()
    def encode(self, texts: Sequence[str], batch_size: int = 8) -> np.ndarray:
        """Embed ``texts``, batched by length to limit padding."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            batch = self._tokenizer(
                [texts[i] for i in idx],
                return_tensors="pt",
                padding=True,
                truncation=True,
                max_length=self.max_length,
            )
            hidden = self._model(**batch, output_hidden_states=True).hidden_states[-1]
            last = batch["attention_mask"].sum(dim=1) - 1
            out[idx] = hidden[torch.arange(len(idx)), last].float().numpy()
        return out

    def pair_text(self, prompt: str, response: str) -> str:
        """The (prompt, response) exchange in the tokenizer's chat format, if it has one."""
        if getattr(self._tokenizer, "chat_template", None):
            messages = [
                {"role": "user", "content": prompt},
                {"role": "assistant", "content": response},
            ]
            return str(self._tokenizer.apply_chat_template(messages, tokenize=False))
        return _plain_pair_text(prompt, response)

    def spec(self) -> dict[str, Any]:
        """JSON that :func:`encoder_from_spec` turns back into this encoder."""
        return {"kind": "last-token", "model": self._ref, "max_length": self.max_length}


def encoder_from_spec(spec: dict[str, Any]) -> TextEncoder:
    """Rebuild an encoder from its ``spec()`` (used when a checkpoint is loaded).

    Example:
        >>> encoder_from_spec({"kind": "sentence-transformer", "model": "minilm"}).dim  # doctest: +SKIP
        384
    """
    kind = spec.get("kind")
    if kind == "sentence-transformer":
        return SentenceTransformerEncoder(spec["model"], spec.get("max_seq_length"))
    if kind == "last-token":
        if spec["model"] == BUNDLED_SMOLLM2:
            return LastTokenEncoder.smollm2(spec.get("max_length", 512))
        return LastTokenEncoder.from_pretrained(spec["model"], spec.get("max_length", 512))
    raise RewardsError(f"unknown encoder kind {kind!r} in spec {spec}")
