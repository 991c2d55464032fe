"""The bundled all-MiniLM-L6-v2 on ONNX Runtime: the same vectors as sentence-transformers,
without importing torch.

sentence-transformers runs MiniLM on torch; importing torch, transformers and
sentence-transformers costs seconds before the first vector, and on a 2-core CPU the
ONNX Runtime graph runs the same model about 1.4 times faster (docs/benchmarks.md). This
module exports the bundled weights to ONNX once (``torch.onnx``, into the user cache;
nothing is downloaded), then embeds with ``onnxruntime`` and the model's own
``tokenizer.json``: WordPiece tokens truncated at the model's 256, the last hidden state
mean-pooled over the real tokens, rows scaled to unit length -- what sentence-transformers
does for this model (its ``modules.json``: Transformer, mean Pooling, Normalize). The
vectors agree with sentence-transformers' to about 1e-7.

Example:
    >>> model = OnnxMiniLM.load()                            # doctest: +SKIP
    >>> model.encode(["a cat", "a dog"]).shape               # doctest: +SKIP
    (2, 384)
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["MAX_TOKENS", "OnnxMiniLM", "export_onnx"]

#: The model's token limit (its ``sentence_bert_config.json``).
MAX_TOKENS = 256
DIM = 384
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def export_onnx(model_dir: str | Path, target: Path) -> Path:
    """Export the transformer of the sentence-transformers folder ``model_dir`` to the
    ONNX file ``target`` (written atomically; the one step that needs torch and onnx)."""
    import torch
    from transformers import AutoModel

    class LastHiddenState(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    model = AutoModel.from_pretrained(str(model_dir)).eval()
    sample = torch.ones(1, 8, dtype=torch.long)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".minilm-", suffix=".onnx", dir=target.parent)
    os.close(fd)
    axes = {"batch": 0, "tokens": 1}
    try:
        with warnings.catch_warnings():  # the tracer's notes on BERT's mask arithmetic
            warnings.simplefilter("ignore")
            torch.onnx.export(
                LastHiddenState(model),
                (sample, sample, torch.zeros_like(sample)),
                tmp,
                input_names=list(_INPUTS),
                output_names=["last_hidden_state"],
                dynamic_axes={
                    name: {v: k for k, v in axes.items()}
                    for name in (*_INPUTS, "last_hidden_state")
                },
                opset_version=17,
                dynamo=False,
            )
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


class OnnxMiniLM:
    """MiniLM sentence embeddings on ONNX Runtime (module docstring).

    Args:
        session: an ``onnxruntime.InferenceSession`` of the exported model.
        tokenizer: the model's ``tokenizers.Tokenizer``.
    """

    def __init__(self, session: Any, tokenizer: Any) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        self.dim = DIM

    @classmethod
    def load(cls, model_dir: str | Path | None = None, cache: Path | None = None) -> OnnxMiniLM:
        """The bundled model (or the sentence-transformers folder ``model_dir``), exported
        to ``cache`` (default: the user cache) on first use."""
        import onnxruntime
        from filelock import FileLock
        from tokenizers import Tokenizer

        from .paths import cache_dir, embedding_model_path

        model_dir = Path(model_dir or embedding_model_path())
        folder = cache or cache_dir() / "minilm-onnx"
        target = folder / "model.onnx"
        if not target.is_file():
            folder.mkdir(parents=True, exist_ok=True)
            with FileLock(str(folder / ".export.lock")):
                if not target.is_file():  # another process may have exported it meanwhile
                    export_onnx(model_dir, target)
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # A worker given a share of the CPUs (a Ray actor) says so in OMP_NUM_THREADS.
        threads = os.environ.get("OMP_NUM_THREADS", "")
        options.intra_op_num_threads = int(threads) if threads.isdigit() else 0
        session = onnxruntime.InferenceSession(
            str(target), options, providers=["CPUExecutionProvider"]
        )
        return cls(session, Tokenizer.from_file(str(model_dir / "tokenizer.json")))

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Unit-length embeddings of ``texts``, float32, shape ``(len(texts), 384)``; the
        texts are sorted by length into batches, so that a batch pads little."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            width = max(len(encodings[i].ids) for i in rows)
            feed = {name: np.zeros((len(rows), width), dtype=np.int64) for name in _INPUTS}
            for r, i in enumerate(rows):
                encoding = encodings[i]
                n = len(encoding.ids)
                feed["input_ids"][r, :n] = encoding.ids
                feed["attention_mask"][r, :n] = encoding.attention_mask
                feed["token_type_ids"][r, :n] = encoding.type_ids
            hidden = self.session.run(None, feed)[0]
            mask = feed["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[rows] = pooled / np.maximum(norms, 1e-12)
        return out
