"""One calling convention for guide models: ``complete(prompt, temperature) -> str``,
and its async twin.

The memory core accepts any of these without importing a framework (duck typing):

- a LangChain chat model or LLM (anything with ``invoke``; chat replies are read from
  ``.content``); asynchronously through its ``ainvoke``;
- a LlamaIndex LLM (anything with ``complete`` returning an object with ``.text``);
  asynchronously through its ``acomplete``;
- a plain callable ``(prompt, temperature) -> str``, or an ``async`` one; a plain one is
  run in a worker thread when called asynchronously.

For framework models with a ``temperature`` field, the temperature is set on a copy of
the model (``model_copy(update=...)``); models without one are called as they are.

:func:`is_transient_error` tells the failures worth retrying (a dropped connection, a
time-out, a rate limit, a server error) from the rest.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from tenacity import (
    AsyncRetrying,
    before_sleep_log,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

__all__ = [
    "AsyncGuideModel",
    "GuideModel",
    "as_async_completion_fn",
    "as_completion_fn",
    "context_window",
    "is_transient_error",
    "model_name",
    "retrying",
    "run_sync",
]

logger = logging.getLogger(__name__)

#: ``(prompt, temperature) -> text``
GuideModel = Callable[[str, float], str]
#: ``async (prompt, temperature) -> text``
AsyncGuideModel = Callable[[str, float], Awaitable[str]]

_T = TypeVar("_T")

#: Parts of the class names that providers give to errors worth retrying (OpenAI's
#: ``RateLimitError``, ``APIConnectionError``, ``APITimeoutError``, ``InternalServerError``;
#: Anthropic's ``OverloadedError``; httpx's ``ConnectError``, ``ReadTimeout``; ...).
_TRANSIENT_NAMES = (
    "RateLimit",
    "Timeout",
    "Connection",
    "ConnectError",
    "ServiceUnavailable",
    "InternalServer",
    "Overloaded",
    "TooManyRequests",
)
#: HTTP statuses worth retrying: time-out, conflict, too early, too many requests, 5xx.
_TRANSIENT_STATUS = frozenset({408, 409, 425, 429})


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


def as_async_completion_fn(llm: Any) -> AsyncGuideModel:
    """Wrap a model as :data:`AsyncGuideModel` (``ainvoke`` / ``acomplete`` / an async
    callable; a plain callable runs in a worker thread).

    Example:
        >>> fn = as_async_completion_fn(lambda prompt, temperature: prompt.upper())
        >>> asyncio.run(fn("hi", 0.5))
        'HI'
    """
    if hasattr(llm, "acomplete") and hasattr(llm, "metadata"):  # LlamaIndex LLM

        async def llama_index(prompt: str, t: float) -> str:
            return _text_of(await _with_temperature(llm, t).acomplete(prompt))

        return llama_index
    if hasattr(llm, "ainvoke"):  # LangChain chat model, LLM or any Runnable

        async def langchain(prompt: str, t: float) -> str:
            return _text_of(await _with_temperature(llm, t).ainvoke(prompt))

        return langchain
    call = type(llm).__call__ if callable(llm) else None
    if inspect.iscoroutinefunction(llm) or inspect.iscoroutinefunction(call):

        async def coroutine(prompt: str, t: float) -> str:
            return _text_of(await llm(prompt, t))

        return coroutine
    complete = as_completion_fn(llm)

    async def threaded(prompt: str, t: float) -> str:
        return await asyncio.to_thread(complete, prompt, t)

    return threaded


def is_transient_error(exc: BaseException) -> bool:
    """Whether a failed model call is worth retrying: a dropped connection or time-out
    (``ConnectionError``, ``TimeoutError``), an HTTP status of 408, 409, 425, 429 or 5xx
    (``status_code`` on the error or its ``response``), or an error class named like a
    provider's rate-limit, time-out, connection, overload or server error. A wrong
    request, a refused key or an unusable answer is not retried.

    Example:
        >>> is_transient_error(TimeoutError()), is_transient_error(ValueError("bad prompt"))
        (True, False)
    """
    if isinstance(exc, (ConnectionError, TimeoutError, asyncio.TimeoutError)):
        return True
    for holder in (exc, getattr(exc, "response", None)):
        status = getattr(holder, "status_code", None)
        if isinstance(status, int) and (status in _TRANSIENT_STATUS or 500 <= status < 600):
            return True
    return any(part in cls.__name__ for cls in type(exc).__mro__ for part in _TRANSIENT_NAMES)


def retrying(
    max_retries: int,
    backoff: float = 1.0,
    max_backoff: float = 60.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> AsyncRetrying:
    """The retry policy of model calls (tenacity): up to ``max_retries`` retries, only of
    :func:`is_transient_error` failures, waiting ``backoff * 2**i`` seconds (at most
    ``max_backoff``) before retry ``i``; the last error is re-raised.

    Example:
        >>> async def call():
        ...     async for attempt in retrying(2):
        ...         with attempt:
        ...             return "ok"
        >>> asyncio.run(call())
        'ok'
    """
    return AsyncRetrying(
        retry=retry_if_exception(is_transient_error),
        stop=stop_after_attempt(max_retries + 1),
        wait=wait_exponential(multiplier=backoff, max=max_backoff),
        sleep=sleep,
        before_sleep=before_sleep_log(logger, logging.WARNING),
        reraise=True,
    )


def run_sync(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """Run ``coroutine`` to completion from synchronous code: in this thread when no event
    loop is running here, else in a fresh loop on a worker thread (as in a notebook).

    Example:
        >>> async def two() -> int:
        ...     return 2
        >>> run_sync(two())
        2
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def context_window(llm: Any, default: int) -> int:
    """The model's context window in tokens if it declares one (LlamaIndex
    ``metadata.context_window``, or a ``context_window`` attribute as on
    :class:`mom_micro.models.generation.LocalCausalLM`), else ``default``."""
    for window in (
        getattr(getattr(llm, "metadata", None), "context_window", None),
        getattr(llm, "context_window", None),
    ):
        if isinstance(window, int) and window > 0:
            return window
    return default


def model_name(llm: Any) -> str:
    """A readable name for the provenance record of a memory."""
    for attr in ("model_name", "model", "model_id", "name"):
        value = getattr(llm, attr, None)
        if isinstance(value, str) and value:
            return value
    metadata = getattr(llm, "metadata", None)
    name = getattr(metadata, "model_name", None)
    if isinstance(name, str) and name:
        return name
    return getattr(llm, "__name__", type(llm).__name__)
