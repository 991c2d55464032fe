"""Text generation with a local Hugging Face causal LM (offline default: SmolLM2-135M).

:class:`LocalCausalLM` is a plain callable ``(prompt, temperature) -> str``, the
convention the memory core accepts for guide models; framework adapters can wrap it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["LocalCausalLM"]


@dataclass
class LocalCausalLM:
    """A chat-templated local causal LM as ``(prompt, temperature) -> str``.

    ``temperature <= 0`` decodes greedily; otherwise it samples (seeded by ``seed`` when
    given, so runs repeat). Prompts longer than the model's context minus
    ``max_new_tokens`` are refused with a ``ValueError`` rather than silently cut.

    Example:
        >>> lm = LocalCausalLM(max_new_tokens=32)                   # doctest: +SKIP
        >>> lm("Name a colour.", 0.0)                               # doctest: +SKIP
        'Blue.'
    """

    model: Any = field(default=None, repr=False)
    tokenizer: Any = field(default=None, repr=False)
    max_new_tokens: int = 512
    seed: int | None = 0
    name: str = "SmolLM2-135M-Instruct"

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
        import torch

        self._load()
        messages = [{"role": "user", "content": prompt}]
        if getattr(self.tokenizer, "chat_template", None):
            text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        else:
            text = prompt
        enc = self.tokenizer(text, return_tensors="pt", add_special_tokens=False)
        room = self.context_window - self.max_new_tokens
        if enc["input_ids"].shape[1] > room:
            raise ValueError(
                f"prompt of {enc['input_ids'].shape[1]} tokens does not fit {self.name}'s "
                f"context ({self.context_window} tokens, {self.max_new_tokens} kept for the answer)"
            )
        options: dict[str, Any] = {"max_new_tokens": self.max_new_tokens}
        if temperature > 0:
            options.update(do_sample=True, temperature=float(temperature), top_p=0.95)
            if self.seed is not None:
                torch.manual_seed(self.seed)
        else:
            options.update(do_sample=False)
        pad = self.tokenizer.pad_token_id or self.tokenizer.eos_token_id
        with torch.no_grad():
            out = self.model.generate(**enc, pad_token_id=pad, **options)
        return self.tokenizer.decode(out[0, enc["input_ids"].shape[1] :], skip_special_tokens=True)

    def _load(self) -> None:
        if self.model is None:
            from .defaults import smollm2

            self.model, self.tokenizer = smollm2()
