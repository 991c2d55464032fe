"""Memory readers and guide models by name: on the command line, from a stored
configuration, and from a trained reader's folder.

A *guide* is named as

- ``smollm2``: the offline SmolLM2-135M-Instruct (:class:`~mom_micro.models.generation.LocalCausalLM`);
- ``module:Name``: a LangChain chat model, a LlamaIndex LLM or any factory, imported and
  called with keyword arguments, e.g. ``langchain_openai:ChatOpenAI`` with
  ``{"model": "gpt-4o-mini"}`` (credentials come from the provider's environment
  variables, as the provider documents);
- a folder: a local Hugging Face causal LM, or a reader trained by
  :func:`~mom_micro.memory.training.train_reader`;
- a Hugging Face model id already in the local cache (nothing is downloaded).

A *reader* is ``extractive`` (the offline :class:`~mom_micro.memory.ExtractiveExtractor`)
or any guide, wrapped in an :class:`~mom_micro.memory.LLMExtractor`.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mom_micro.models.generation import COPY_MODES

from .document import MemoryExtractor, ReaderConfigError
from .extractive import ExtractiveExtractor
from .llm_extractor import LLMExtractor
from .training import READER_FILE

__all__ = [
    "build_reader",
    "is_trained_reader",
    "load_guide",
    "load_trained_reader",
    "reader_from_config",
]

_IMPORT_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
_HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")
_SMOLLM2 = ("smollm2", "SmolLM2-135M-Instruct")


def is_trained_reader(folder: str | Path) -> bool:
    """Whether ``folder`` holds a reader written by :func:`~.training.train_reader`."""
    return (Path(folder) / READER_FILE).is_file()


def _local_model(folder: Path, **options: Any) -> Any:
    from mom_micro.models.generation import LocalCausalLM

    if not (folder / "config.json").is_file():
        raise ReaderConfigError(f"{folder} is not a model folder (no config.json in it)")
    return LocalCausalLM.from_pretrained(str(folder), **options)


def _imported(spec: str, kwargs: Mapping[str, Any]) -> Any:
    module_name, _, attr = spec.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ReaderConfigError(
            f"cannot import {module_name!r} for the guide {spec!r}: {exc} "
            "(is its package installed?)"
        ) from exc
    for part in attr.split("."):
        if not hasattr(target, part):
            raise ReaderConfigError(f"{module_name!r} has no {attr!r} (guide {spec!r})")
        target = getattr(target, part)
    if not callable(target):
        raise ReaderConfigError(f"{spec!r} is not a class or factory")
    try:
        return target(**kwargs)
    except Exception as exc:  # noqa: BLE001 - a provider's own validation error
        raise ReaderConfigError(f"cannot create the guide {spec!r}: {exc}") from exc


def load_guide(spec: str, kwargs: Mapping[str, Any] | None = None) -> Any:
    """The guide model named ``spec`` (see the module docstring); ``kwargs`` go to an
    imported class. A name that is none of these raises
    :class:`~mom_micro.memory.document.ReaderConfigError` saying what was looked for.

    Example:
        >>> load_guide("./no-such-model")
        Traceback (most recent call last):
        ...
        mom_micro.memory.document.ReaderConfigError: guide model folder no-such-model does not exist
        >>> llm = load_guide("langchain_openai:ChatOpenAI", {"model": "gpt-4o-mini"})  # doctest: +SKIP
    """
    kwargs = dict(kwargs or {})
    if kwargs and not _IMPORT_PATH.match(spec):
        raise ReaderConfigError(f"guide keyword arguments only go with module:Class, not {spec!r}")
    if spec in _SMOLLM2:
        from mom_micro.models.generation import LocalCausalLM

        return LocalCausalLM()
    if _IMPORT_PATH.match(spec) and not Path(spec).exists():
        return _imported(spec, kwargs)
    folder = Path(spec).expanduser()
    if folder.is_dir():
        if is_trained_reader(folder):
            return load_trained_reader(folder).llm
        return _local_model(folder)
    if _HUB_ID.match(spec) and not spec.startswith("."):
        from huggingface_hub import try_to_load_from_cache

        if isinstance(try_to_load_from_cache(spec, "config.json"), str):
            from mom_micro.models.generation import LocalCausalLM

            return LocalCausalLM.from_pretrained(spec)
        raise ReaderConfigError(
            f"guide model folder {spec} does not exist, and no Hugging Face model of that "
            "name is in the local cache"
        )
    if folder.exists():
        raise ReaderConfigError(f"guide model {folder} is a file, not a model folder")
    if any(sep in spec for sep in "/\\") or spec.startswith((".", "~")):
        raise ReaderConfigError(f"guide model folder {folder} does not exist")
    raise ReaderConfigError(
        f"unknown guide {spec!r}: name 'extractive', 'smollm2', a model folder, or a "
        "class as module:Class (e.g. langchain_openai:ChatOpenAI)"
    )


def load_trained_reader(
    folder: str | Path,
    fallback: MemoryExtractor | None = None,
    max_new_tokens: int | None = None,
    max_concurrency: int = 1,
    prompt_lookup_tokens: int = 10,
    copy_chunks: str = "tiling",
    continuations: int = 2,
) -> LLMExtractor:
    """A reader trained by :func:`~.training.train_reader`, as an
    :class:`~mom_micro.memory.LLMExtractor` that reads the way it learned: the ``<think>``
    prompt, sections of the size it was trained on, one greedy path. Its answers copy
    anchors and sentences from the section, so greedy decoding drafts from the prompt
    (``prompt_lookup_tokens``; 0 turns it off).

    A small model quotes inexactly, loops on one chunk and runs out of tokens before the
    section's end, so by default its chunks are decoded as spans of the section that
    follow each other (``copy_chunks="tiling"``, see :mod:`mom_micro.models.copy_decoding`; ``"spans"``
    or ``"off"``), and the text after its last chunk is read by up to ``continuations``
    more calls (:meth:`~mom_micro.memory.LLMExtractor.aread`).

    Example:
        >>> reader = load_trained_reader("memreader", fallback=ExtractiveExtractor())  # doctest: +SKIP
        >>> memory = reader.extract(open("paper.txt").read(), doc_id="paper")          # doctest: +SKIP
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ReaderConfigError(f"reader folder {folder} does not exist")
    if not is_trained_reader(folder):
        raise ReaderConfigError(
            f"{folder} is not a trained memory reader (no {READER_FILE}; "
            "train one with mom-micro train-reader)"
        )
    try:
        description = json.loads((folder / READER_FILE).read_text(encoding="utf-8"))
        think = bool(description["think"])
        context_tokens = int(description["context_tokens"])
        chars_per_token = float(description.get("chars_per_token", 4.0))
        new_tokens = int(max_new_tokens or description.get("max_new_tokens", 1024))
    except (ValueError, KeyError, TypeError) as exc:
        raise ReaderConfigError(f"{folder / READER_FILE} is damaged ({exc})") from exc
    return LLMExtractor(
        _local_model(
            folder,
            max_new_tokens=new_tokens,
            prompt_lookup_tokens=prompt_lookup_tokens,
            copy_chunks=copy_chunks,
        ),
        temperatures=(0.0,),
        continuations=continuations,
        think=think,
        context_tokens=context_tokens,
        chars_per_token=chars_per_token,
        max_retries=0,
        max_concurrency=max_concurrency,
        fallback=fallback,
    )


def build_reader(
    spec: str,
    guide_kwargs: Mapping[str, Any] | None = None,
    n_paths: int = 1,
    max_concurrency: int = 4,
    fallback: MemoryExtractor | None = None,
    **extractive_options: Any,
) -> MemoryExtractor:
    """The reader named ``spec``: ``extractive`` (with ``extractive_options`` and
    ``n_paths`` sampled granularities), a trained reader folder, or any guide
    (:func:`load_guide`) in an :class:`~mom_micro.memory.LLMExtractor` sampling
    ``n_paths`` paths.

    Example:
        >>> build_reader("extractive", n_paths=2, target_words=60).config()["settings"]["n_paths"]
        2
    """
    if spec == "extractive":
        return ExtractiveExtractor(n_paths=n_paths, **extractive_options)
    if is_trained_reader(Path(spec).expanduser()):
        return load_trained_reader(
            Path(spec).expanduser(), fallback=fallback, max_concurrency=max_concurrency
        )
    return LLMExtractor(
        load_guide(spec, guide_kwargs),
        n_paths=n_paths,
        max_concurrency=max_concurrency,
        fallback=fallback,
    )


def reader_from_config(config: Mapping[str, Any]) -> MemoryExtractor:
    """Rebuild a reader from its :meth:`config` (as an index stores it): the extractive
    reader, or an LLM reader on a local model (a trained reader folder, a model folder or
    the offline SmolLM2). Nothing is imported by name: a configuration that names a
    ``module:Class`` raises, whatever its ``model_class`` says. A reader on a remote model
    (its client holds credentials that are never stored) or a custom reader must be
    passed again: that raises :class:`~mom_micro.memory.document.ReaderConfigError`.

    Example:
        >>> reader = ExtractiveExtractor(target_words=60)
        >>> reader_from_config(reader.config()) == reader
        True
    """
    kind = config.get("kind")
    if kind == "extractive":
        return ExtractiveExtractor.from_config(dict(config))
    if kind != "llm":
        raise ReaderConfigError(f"a {kind!r} reader cannot be rebuilt from its configuration")
    model, model_class = str(config.get("model")), str(config.get("model_class", ""))
    fallback_config = config.get("fallback")
    fallback = None if not fallback_config else reader_from_config(fallback_config)
    if _IMPORT_PATH.match(model) and not Path(model).exists():
        raise ReaderConfigError(
            f"the stored LLM reader names {model!r}: a stored configuration never imports "
            "or calls code by name (an index or a file from someone else could run "
            "anything); pass the reader again"
        )
    if not model_class.endswith("LocalCausalLM"):
        raise ReaderConfigError(
            f"an LLM reader on {model_class} ({model}) cannot be rebuilt from its "
            "configuration (its client is not stored): pass the reader again"
        )
    settings = dict(config.get("settings", {}))
    decoding = dict(config.get("model_settings", {}))
    if decoding.get("copy_chunks", COPY_MODES[-1]) not in COPY_MODES:
        raise ReaderConfigError(f"copy_chunks must be one of {COPY_MODES}: {decoding}")
    if is_trained_reader(model):
        kept = {k: settings[k] for k in ("continuations",) if k in settings}
        return load_trained_reader(model, fallback=fallback, **decoding, **kept)
    llm = load_guide(model)
    for name, value in decoding.items():
        setattr(llm, name, value)
    try:
        return LLMExtractor(llm, fallback=fallback, **settings)
    except TypeError as exc:
        raise ReaderConfigError(f"invalid LLM reader settings: {exc}") from exc
