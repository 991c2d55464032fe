"""MoM core: text in, :class:`DocumentMemory` out. No LangChain/LlamaIndex imports here."""

from .document import (
    MAX_DOCUMENT_CHARS,
    InvalidDocumentError,
    MemoryExtractor,
    read_document,
    validate_document,
)
from .schema import CandidateScore, DocumentMemory, MemoryUnit

__all__ = [
    "MAX_DOCUMENT_CHARS",
    "CandidateScore",
    "DocumentMemory",
    "InvalidDocumentError",
    "MemoryExtractor",
    "MemoryUnit",
    "read_document",
    "validate_document",
]
