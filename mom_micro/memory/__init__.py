"""MoM core: text in, :class:`DocumentMemory` out. No LangChain/LlamaIndex imports here.

Example:
    >>> from mom_micro.memory import ExtractiveExtractor
    >>> memory = ExtractiveExtractor().extract(open("paper.txt").read())   # doctest: +SKIP
    >>> print(memory.outline_tree())                                      # doctest: +SKIP
"""

from .document import (
    MAX_DOCUMENT_CHARS,
    InvalidDocumentError,
    MemoryExtractor,
    ReaderConfigError,
    describe_reader,
    read_document,
    validate_document,
)
from .extractive import ExtractiveExtractor
from .guide import (
    AsyncGuideModel,
    GuideModel,
    as_async_completion_fn,
    as_completion_fn,
    is_transient_error,
)
from .llm_extractor import LLMExtractor, MemoryExtractionError, split_windows, window_chars
from .loading import (
    build_reader,
    is_trained_reader,
    load_guide,
    load_trained_reader,
    reader_from_config,
)
from .parsing import (
    CopiedFormatExample,
    MemoryParseError,
    format_memory_output,
    parse_memory_output,
)
from .prompts import escape_document, extraction_prompt, reasoning_prompt
from .reasoning import (
    ChainOfMemoryBuilder,
    SFTBuildReport,
    SFTDataError,
    reasoning_problem,
    sft_record,
    template_reasoning,
)
from .schema import CandidateScore, DocumentMemory, MemoryUnit
from .scoring import EmbeddingMemoryScorer, MemoryScorer
from .selection import reciprocal_rank_fusion, select_memory
from .sentence_embedding import Embedder, EmbeddingMemo, minilm_embedder
from .training import (
    READER_FILE,
    ReaderTrainingConfig,
    ReaderTrainingReport,
    TrainingUnavailable,
    load_sft_records,
    train_reader,
)

__all__ = [
    "MAX_DOCUMENT_CHARS",
    "READER_FILE",
    "AsyncGuideModel",
    "CandidateScore",
    "ChainOfMemoryBuilder",
    "CopiedFormatExample",
    "DocumentMemory",
    "Embedder",
    "EmbeddingMemo",
    "EmbeddingMemoryScorer",
    "ExtractiveExtractor",
    "GuideModel",
    "InvalidDocumentError",
    "LLMExtractor",
    "MemoryExtractionError",
    "MemoryExtractor",
    "MemoryParseError",
    "MemoryScorer",
    "MemoryUnit",
    "ReaderConfigError",
    "ReaderTrainingConfig",
    "ReaderTrainingReport",
    "SFTBuildReport",
    "SFTDataError",
    "TrainingUnavailable",
    "as_async_completion_fn",
    "as_completion_fn",
    "build_reader",
    "describe_reader",
    "escape_document",
    "extraction_prompt",
    "format_memory_output",
    "is_trained_reader",
    "is_transient_error",
    "load_guide",
    "load_sft_records",
    "load_trained_reader",
    "minilm_embedder",
    "parse_memory_output",
    "read_document",
    "reader_from_config",
    "reasoning_problem",
    "reasoning_prompt",
    "reciprocal_rank_fusion",
    "select_memory",
    "sft_record",
    "split_windows",
    "template_reasoning",
    "train_reader",
    "validate_document",
    "window_chars",
]
