"""Text generation with a local Hugging Face causal LM (offline default: SmolLM2-135M).

:class:`LocalCausalLM` is a plain callable ``(prompt, temperature) -> str``, the
convention the memory core accepts for guide models; framework adapters can wrap it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LocalCausalLM"]

logger = logging.getLogger(__name__)

#: ``copy_chunks`` of :class:`LocalCausalLM`: ``off``, no constraint, or one of the
#: constrained modes of :mod:`.copy_decoding` (``spans``, ``tiling``). Spelled here, not
#: imported from there, so that checking the option does not import ``transformers``.
COPY_MODES = ("off", "spans", "tiling")


@dataclass
class LocalCausalLM:
    """A chat-templated local causal LM as ``(prompt, temperature) -> str``.

    ``temperature <= 0`` decodes greedily; otherwise it samples. With a ``seed``, the
    i-th sampled call of an instance is seeded with ``seed + i``: a run repeats, and n
    samples of one prompt differ. Calls are serialised (one model, shared seed state), so
    threads may share an instance. Prompts longer than the model's context minus
    ``max_new_tokens`` are refused with a ``ValueError`` rather than silently cut.

    When a prompt holds a ``<document>`` block (MoM's extraction prompt), the text the
    model writes inside ``<chunk>`` tags is constrained to spans of that document
    (:class:`~mom_micro.models.copy_decoding.CopyConstraint`; ``copy_chunks``: ``"tiling"``, the
    default, ``"spans"``, or ``"off"``): a small model paraphrases what it should quote.
    A tokenizer that is not byte-level BPE is read without the constraint.

    Example:
        >>> lm = LocalCausalLM(max_new_tokens=32)                   # doctest: +SKIP
        >>> lm("Name a colour.", 0.0)                               # doctest: +SKIP
        'Blue.'
    """

    model: Any = field(default=None, repr=False)
    tokenizer: Any = field(default=None, repr=False)
    max_new_tokens: int = 512
    seed: int | None = 0
    prompt_lookup_tokens: int = 0
    copy_chunks: str = "tiling"
    name: str = "SmolLM2-135M-Instruct"
    _samples: int = field(default=0, init=False, repr=False)
    _trie: Any = field(default=None, init=False, repr=False)
    _lock: Any = field(default_factory=threading.RLock, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.copy_chunks not in COPY_MODES:
            raise ValueError(f"copy_chunks must be one of {COPY_MODES}, got {self.copy_chunks!r}")

    @classmethod
    def from_pretrained(cls, name_or_path: str, **kwargs: Any) -> LocalCausalLM:
        """Load any Hugging Face causal LM (a local folder, or an id already cached)."""
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(name_or_path)
        model = AutoModelForCausalLM.from_pretrained(name_or_path).eval()
        return cls(model=model, tokenizer=tokenizer, name=str(name_or_path), **kwargs)

    @property
    def context_window(self) -> int:
        """Maximum tokens the model reads (from its config)."""
        self._load()
        return int(getattr(self.model.config, "max_position_embeddings", 2048))

    def __call__(self, prompt: str, temperature: float = 0.0) -> str:
        """The reply to ``prompt`` as one user turn (the guide-model convention)."""
        return self.chat([{"role": "user", "content": prompt}], temperature)

    def chat(
        self,
        messages: Sequence[dict[str, str]],
        temperature: float = 0.0,
        max_new_tokens: int | None = None,
    ) -> str:
        """The reply to ``messages`` (``{"role": "system" | "user" | "assistant",
        "content": ...}`` dicts), rendered with the model's chat template, of at most
        ``max_new_tokens`` tokens (default: the instance's)."""
        with self._lock:
            return self._chat(messages, temperature, max_new_tokens)

    def _chat(
        self, messages: Sequence[dict[str, str]], temperature: float, max_new_tokens: int | None
    ) -> str:
        import torch
        from transformers import LogitsProcessorList

        self._load()
        if getattr(self.tokenizer, "chat_template", None):
            text = self.tokenizer.apply_chat_template(
                list(messages), tokenize=False, add_generation_prompt=True
            )
        else:
            text = "\n\n".join(m["content"] for m in messages)
        enc = self.tokenizer(text, return_tensors="pt", add_special_tokens=False)
        new_tokens = self.max_new_tokens if max_new_tokens is None else max_new_tokens
        room = self.context_window - new_tokens
        if enc["input_ids"].shape[1] > room:
            raise ValueError(
                f"prompt of {enc['input_ids'].shape[1]} tokens does not fit {self.name}'s "
                f"context ({self.context_window} tokens, {new_tokens} kept for the answer)"
            )
        options: dict[str, Any] = {"max_new_tokens": new_tokens}
        if temperature > 0:
            options.update(do_sample=True, temperature=float(temperature), top_p=0.95)
        else:
            options.update(do_sample=False)
            if self.prompt_lookup_tokens > 0:
                options.update(prompt_lookup_num_tokens=self.prompt_lookup_tokens)
        pad = self.tokenizer.pad_token_id or self.tokenizer.eos_token_id
        constraint = self._copy_constraint(messages, enc["input_ids"].shape[1])
        if constraint is not None:
            options["logits_processor"] = LogitsProcessorList([constraint])
        with torch.no_grad():
            if temperature > 0 and self.seed is not None:
                torch.manual_seed(self.seed + self._samples)
                self._samples += 1
            out = self.model.generate(**enc, pad_token_id=pad, **options)
        return self.tokenizer.decode(out[0, enc["input_ids"].shape[1] :], skip_special_tokens=True)

    def _copy_constraint(self, messages: Sequence[dict[str, str]], prompt_length: int) -> Any:
        """The copy constraint for this call: ``None`` when off, when the last message
        holds no ``<document>``, or when the tokenizer is not byte-level."""
        if self.copy_chunks == "off" or not messages:
            return None
        from .copy_decoding import CopyConstraint, TokenTrie, document_in_prompt, token_bytes

        source = document_in_prompt(messages[-1]["content"])
        if source is None:
            return None
        if self._trie is None:
            try:
                self._trie = TokenTrie(token_bytes(self.tokenizer))
            except ValueError as exc:
                logger.warning("%s: read without copy-constrained chunks (%s)", self.name, exc)
                self._trie = False
        if self._trie is False:
            return None
        return CopyConstraint(
            self._trie, source, prompt_length, self.copy_chunks, self.tokenizer.eos_token_id
        )

    def _load(self) -> None:
        with self._lock:
            if self.model is None:
                from .defaults import smollm2

                self.model, self.tokenizer = smollm2()
