"""An on-disk cache of text embeddings, keyed by backbone name and text hash.

Each backbone has its own folder under ``cache_dir()/features`` (``$MOM_MICRO_CACHE``
overrides). Every batch of new vectors is written as one safetensors shard (atomic
write, unique name), holding ``keys`` (16-byte BLAKE2b digests of the texts, as uint8)
and ``values`` (float32). Shards are only ever added, so concurrent writers never
corrupt each other; a reader loads every shard it finds.

Example:
    >>> import tempfile, numpy as np
    >>> class Toy:
    ...     name, dim = "toy", 2
    ...     def encode(self, texts, batch_size=32):
    ...         return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)
    ...     def pair_text(self, p, r): return p + r
    ...     def spec(self): return {"kind": "toy"}
    >>> cached = CachedEncoder(Toy(), FeatureCache(tempfile.mkdtemp(), "toy"), progress=False)
    >>> cached.encode(["ab", "abc"]).tolist()
    [[2.0, 1.0], [3.0, 1.0]]
    >>> cached.misses, cached.encode(["ab"]).tolist(), cached.misses
    (2, [[2.0, 1.0]], 2)
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.numpy import load as load_arrays
from safetensors.numpy import save as save_arrays
from tqdm.auto import tqdm

from mom_micro.files import atomic_write_bytes

from .encoders import TextEncoder
from .errors import FeatureError

__all__ = ["CachedEncoder", "FeatureCache", "text_key"]


def text_key(text: str) -> bytes:
    """The 16-byte BLAKE2b digest of ``text`` (UTF-8) that keys the cache."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "model"


class FeatureCache:
    """Vectors of one backbone on disk (see the module docstring).

    Args:
        root: the folder holding one sub-folder per backbone, or ``None`` for a cache in
            memory only (what a one-off ranking wants: reading every shard of a large
            cache would cost more than embedding a few texts).
        model_name: the backbone's ``name``; vectors of different backbones never mix.
    """

    def __init__(self, root: str | Path | None, model_name: str) -> None:
        self.folder = Path(root) / _slug(model_name) if root is not None else None
        self._vectors: dict[bytes, np.ndarray] | None = None if root is not None else {}
        self._lock = threading.Lock()

    @classmethod
    def default(cls, model_name: str) -> FeatureCache:
        """The cache under :func:`mom_micro.models.defaults.cache_dir` ``/ "features"``."""
        from mom_micro.models.defaults import cache_dir

        return cls(cache_dir() / "features", model_name)

    def _load(self) -> dict[bytes, np.ndarray]:
        if self._vectors is None:
            assert self.folder is not None
            vectors: dict[bytes, np.ndarray] = {}
            for shard in sorted(self.folder.glob("*.safetensors")):
                arrays = load_arrays(shard.read_bytes())
                for key, value in zip(arrays["keys"], arrays["values"], strict=True):
                    vectors[key.tobytes()] = value
            self._vectors = vectors
        return self._vectors

    def get(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        """The cached vectors among ``keys``."""
        with self._lock:
            vectors = self._load()
            return {key: vectors[key] for key in keys if key in vectors}

    def put(self, keys: Sequence[bytes], values: np.ndarray) -> None:
        """Store new vectors as one shard (atomic); ``values`` is ``(len(keys), dim)``."""
        if not keys:
            return
        key_array = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), 16)
        data = save_arrays({"keys": key_array, "values": np.ascontiguousarray(values, np.float32)})
        name = hashlib.blake2b(b"".join(keys), digest_size=12).hexdigest()
        with self._lock:
            if self.folder is not None:
                atomic_write_bytes(self.folder / f"{name}.safetensors", data)
            vectors = self._load()
            for key, value in zip(keys, values, strict=True):
                vectors[key] = value

    def __len__(self) -> int:
        with self._lock:
            return len(self._load())


class CachedEncoder:
    """A :class:`TextEncoder` whose vectors are read from / written to a :class:`FeatureCache`.

    Duplicate texts are encoded once. New texts are sorted by length (longest first) and
    encoded in chunks of ``chunk_size``, so that every batch the backbone sees holds
    texts of about the same length and little compute goes to padding (the backbone
    sorts within a call too, but a call sees one chunk only); each chunk becomes a
    shard, so an interrupted run keeps its work. A progress bar shows when there are
    more than ``chunk_size`` new texts (a ranking call stays quiet). Non-finite vectors
    raise :class:`FeatureError`. ``misses`` counts encoded texts.
    """

    def __init__(
        self,
        encoder: TextEncoder,
        cache: FeatureCache | None = None,
        progress: bool = True,
        chunk_size: int = 256,
    ) -> None:
        self.encoder = encoder
        self.cache = cache if cache is not None else FeatureCache.default(encoder.name)
        self.progress = progress
        self.chunk_size = chunk_size
        self.misses = 0

    @property
    def name(self) -> str:
        """The wrapped encoder's name (it keys the cache)."""
        return self.encoder.name

    @property
    def dim(self) -> int:
        """The wrapped encoder's vector size."""
        return self.encoder.dim

    def pair_text(self, prompt: str, response: str) -> str:
        """The wrapped encoder's joint text of an exchange."""
        return self.encoder.pair_text(prompt, response)

    def spec(self) -> dict[str, Any]:
        """The wrapped encoder's spec (the cache is not part of it)."""
        return self.encoder.spec()

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Vectors for ``texts`` in order, computing only those not yet cached."""
        keys = [text_key(t) for t in texts]
        found = self.cache.get(keys)
        missing: dict[bytes, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in found and key not in missing:
                missing[key] = text
        if missing:
            todo = sorted(missing.items(), key=lambda item: -len(item[1]))
            bar = tqdm(
                total=len(todo),
                desc=f"encoding ({self.name})",
                unit="text",
                disable=not self.progress or len(todo) <= self.chunk_size,
            )
            for start in range(0, len(todo), self.chunk_size):
                chunk = todo[start : start + self.chunk_size]
                values = self.encoder.encode([t for _, t in chunk], batch_size=batch_size)
                if not np.isfinite(values).all():
                    raise FeatureError(f"backbone {self.name} produced NaN/inf features")
                self.cache.put([k for k, _ in chunk], values)
                found.update(zip([k for k, _ in chunk], values, strict=True))
                bar.update(len(chunk))
            bar.close()
            self.misses += len(todo)
        out = np.stack([found[key] for key in keys]) if keys else np.zeros((0, self.dim))
        return out.astype(np.float32, copy=False)

    def encode_tensor(self, texts: Sequence[str]) -> torch.Tensor:
        """:meth:`encode` as a float32 tensor."""
        return torch.from_numpy(np.ascontiguousarray(self.encode(texts)))
