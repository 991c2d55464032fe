"""The unit tests load no real model: MiniLM, SmolLM2 and the default embedding are
replaced by a guard that fails the test naming what it tried to load. Test doubles
(:mod:`tests.support`) stand in; the integration tests use the real models."""

from __future__ import annotations

import pytest

from mom_micro.models import defaults, paths


class RealModelInUnitTest(AssertionError):
    """A unit test tried to load a real model."""


def _refuse(what: str):
    def guard(*args, **kwargs):
        raise RealModelInUnitTest(
            f"a unit test tried to load {what}; use a test double "
            "from tests.support, or move the test to tests/integration"
        )

    return guard


@pytest.fixture(autouse=True)
def no_real_models(monkeypatch):
    for module in (defaults, paths):
        monkeypatch.setattr(module, "embedding_model_path", _refuse("the bundled MiniLM"))
        monkeypatch.setattr(module, "smollm2_gguf_path", _refuse("SmolLM2"))
    monkeypatch.setattr(defaults, "sentence_transformer", _refuse("the bundled MiniLM"))
    monkeypatch.setattr(defaults, "minilm", _refuse("the bundled MiniLM (ONNX)"))
    monkeypatch.setattr(defaults, "smollm2", _refuse("SmolLM2"))
    monkeypatch.setattr(defaults, "smollm2_folder", _refuse("SmolLM2"))
    monkeypatch.setattr(
        "mom_micro.retrievers.index.default_embed_model",
        _refuse("the default LlamaIndex embedding (MiniLM)"),
    )
