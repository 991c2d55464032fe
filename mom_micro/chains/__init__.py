"""LCEL chains composing memory retrieval and personalized ranking."""

from .memory_rag import (
    DEFAULT_PROMPT,
    MemoryRAGChain,
    MemoryRAGInput,
    MemoryRAGOutput,
    format_memory,
    memory_rag_chain,
)

__all__ = [
    "DEFAULT_PROMPT",
    "MemoryRAGChain",
    "MemoryRAGInput",
    "MemoryRAGOutput",
    "format_memory",
    "memory_rag_chain",
]
