"""``MiCRoNodePostprocessor``: personalised MiCRo reranking of LlamaIndex nodes."""

from __future__ import annotations

from llama_index.core.bridge.pydantic import Field
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle

from mom_micro.plugins._ranking import MiCRoRankingError, MiCRoSettings

__all__ = ["MiCRoNodePostprocessor"]

_SCORE_KEYS = ("relevance_score", "head_weights", "head_scores")


class MiCRoNodePostprocessor(MiCRoSettings, BaseNodePostprocessor := __import__(
        "llama_index.core.postprocessor.types", fromlist=["BaseNodePostprocessor"]
).BaseNodePostprocessor):
    pass
