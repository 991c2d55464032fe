"""MoM core: text in, :class:`DocumentMemory` out. No LangChain/LlamaIndex imports here."""

from .document import (
    MAX_DOCUMENT_CHARS,
    InvalidDocumentError,
    MemoryExtractor,
    read_document,
    validate_document,
)
from .embedding import Embedder, minilm_embedder
from .extractive import ExtractiveExtractor
from .schema import CandidateScore, DocumentMemory, MemoryUnit
from .scoring import EmbeddingMemoryScorer, MemoryScorer
from .selection import reciprocal_rank_fusion, select_memory

__all__ = [
    "MAX_DOCUMENT_CHARS",
    "CandidateScore",
    "DocumentMemory",
    "Embedder",
    "EmbeddingMemoryScorer",
    "ExtractiveExtractor",
    "InvalidDocumentError",
    "MemoryExtractor",
    "MemoryScorer",
    "MemoryUnit",
    "minilm_embedder",
    "read_document",
    "reciprocal_rank_fusion",
    "select_memory",
    "validate_document",
]
