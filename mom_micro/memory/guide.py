"""One calling convention for guide models: ``complete(prompt, temperature) -> str``.

The memory core accepts any of these without importing a framework (duck typing):

- a LangChain chat model or LLM (anything with ``invoke``; chat replies are read from
  ``.content``);
- a LlamaIndex LLM (anything with ``complete`` returning an object with ``.text``);
- a plain callable ``(prompt, temperature) -> str``.

For framework models with a ``temperature`` field, the temperature is set on a copy of
the model (``model_copy(update=...)``); models without one are called as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["GuideModel", "as_completion_fn", "context_window", "model_name"]

#: ``(prompt, temperature) -> text``
GuideModel = Callable[[str, float], str]


def _with_temperature(model: Any, temperature: float) -> Any:
    if hasattr(model, "temperature") and hasattr(model, "model_copy"):
        return model.model_copy(update={"temperature": temperature})
    return model


def _text_of(reply: Any) -> str:
    content = getattr(reply, "content", reply)
    if isinstance(content, list):  # LangChain content blocks
        content = "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    text = getattr(content, "text", content)
    if not isinstance(text, str):
        raise TypeError(f"the guide model returned {type(reply).__name__}, not text")
    return text


def as_completion_fn(llm: Any) -> GuideModel:
    """Wrap a LangChain model, a LlamaIndex LLM or a callable as :data:`GuideModel`.

    Example:
        >>> fn = as_completion_fn(lambda prompt, temperature: prompt.upper())
        >>> fn("hi", 0.5)
        'HI'
    """
    if hasattr(llm, "complete") and hasattr(llm, "metadata"):  # LlamaIndex LLM
        return lambda prompt, t: _text_of(_with_temperature(llm, t).complete(prompt))
    if hasattr(llm, "invoke"):  # LangChain chat model, LLM or any Runnable
        return lambda prompt, t: _text_of(_with_temperature(llm, t).invoke(prompt))
    if callable(llm):
        return lambda prompt, t: _text_of(llm(prompt, t))
    raise TypeError(
        f"{type(llm).__name__} is not a guide model: pass a LangChain model, a LlamaIndex "
        "LLM, or a callable (prompt, temperature) -> str"
    )


def context_window(llm: Any, default: int) -> int:
    """The model's context window in tokens if it declares one (LlamaIndex
    ``metadata.context_window``, or a ``context_window`` attribute as on
    :class:`mom_micro.generation.LocalCausalLM`), else ``default``."""
    for window in (
        getattr(getattr(llm, "metadata", None), "context_window", None),
        getattr(llm, "context_window", None),
    ):
        if isinstance(window, int) and window > 0:
            return window
    return default


def model_name(llm: Any) -> str:
    """A readable name for the provenance record of a memory."""
    for attr in ("model_name", "model", "model_id"):
        value = getattr(llm, attr, None)
        if isinstance(value, str) and value:
            return value
    metadata = getattr(llm, "metadata", None)
    name = getattr(metadata, "model_name", None)
    if isinstance(name, str) and name:
        return name
    return getattr(llm, "__name__", type(llm).__name__)
