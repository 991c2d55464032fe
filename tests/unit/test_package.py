"""The public API of each subpackage, pinned: a name added to or dropped from an
``__all__`` is a decision, so it must show up here too; every listed name resolves, and
importing a package stays cheap (lazy exports load nothing heavy until a name is used)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PUBLIC = {
    "mom_micro": [
        "__version__",
    ],
    "mom_micro.memory": [
        "AsyncGuideModel",
        "CandidateScore",
        "ChainOfMemoryBuilder",
        "DocumentMemory",
        "Embedder",
        "EmbeddingMemoryScorer",
        "ExtractiveExtractor",
        "GuideModel",
        "InvalidDocumentError",
        "LLMExtractor",
        "MAX_DOCUMENT_CHARS",
        "MemoryExtractionError",
        "MemoryExtractor",
        "MemoryParseError",
        "MemoryScorer",
        "MemoryUnit",
        "ReaderConfigError",
        "SFTBuildReport",
        "SFTDataError",
        "as_async_completion_fn",
        "as_completion_fn",
        "describe_reader",
        "escape_document",
        "extraction_prompt",
        "format_memory_output",
        "is_transient_error",
        "minilm_embedder",
        "parse_memory_output",
        "read_document",
        "reasoning_problem",
        "reasoning_prompt",
        "reciprocal_rank_fusion",
        "select_memory",
        "sft_record",
        "split_windows",
        "template_reasoning",
        "validate_document",
        "window_chars",
    ],
    "mom_micro.rewards": [
        "AccuracyReport",
        "CachedEncoder",
        "CheckpointMismatchError",
        "FeatureCache",
        "FeatureError",
        "InvalidPairError",
        "LastTokenEncoder",
        "MixtureBradleyTerryLoss",
        "MixtureConfig",
        "MixtureRewardModel",
        "NoUsablePairsError",
        "OraclePerContext",
        "PairFeatures",
        "PreferenceDataError",
        "PreferenceFeaturizer",
        "PreferencePair",
        "ReadReport",
        "RewardsError",
        "SentenceTransformerEncoder",
        "Stage1Config",
        "Stage1Trainer",
        "Stage2Config",
        "Stage2Trainer",
        "TextEncoder",
        "TrainResult",
        "UserProfile",
        "UserProfileStore",
        "budget_rows",
        "evaluate",
        "head_losses",
        "hedge_targets",
        "pairs_from_records",
        "pairwise_accuracy",
        "read_csv",
        "read_dsp_domains",
        "read_hh",
        "read_jsonl",
        "read_llmbar",
        "read_preference_files",
        "read_preferences",
        "split_by_prompt",
        "subsample",
        "train_mixture",
        "train_single_bt",
        "train_stage1",
        "train_stage2",
        "train_static_mixture",
    ],
    "mom_micro.retrievers": [
        "BuiltNodes",
        "ChromaServerUnavailable",
        "FusedScore",
        "INDEX_LAYERS",
        "IngestReport",
        "InvalidQueryError",
        "LAYERS",
        "LAYER_CHUNK",
        "LAYER_CORE",
        "LAYER_OUTLINE",
        "LAYER_SENTENCE",
        "LayerHit",
        "LayerStores",
        "LayerWeights",
        "LexicalIndex",
        "LexicalScores",
        "MAX_QUERY_CHARS",
        "MemoryIndex",
        "MemoryNodeBuilder",
        "RejectedDocument",
        "ThreeLayerRetriever",
        "UnknownDocumentError",
        "check_query",
        "connect_chroma_server",
        "default_embed_model",
        "default_reader",
        "fuse_layers",
        "memory_to_nodes",
        "node_id_for",
        "open_chroma_path",
        "sentence_probes",
    ],
    "mom_micro.plugins": [
        "MiCRoRankingError",
        "MiCRoSettings",
        "Ranking",
        "ScoredCandidate",
        "load_micro_model",
        "rank_texts",
        "record_choice",
    ],
    "mom_micro.plugins.langchain": [
        "LocalChatModel",
        "MiCRoCrossEncoder",
        "MiCRoReranker",
        "MoMDocumentTransformer",
        "MoMRetriever",
        "PersonalizedRanker",
        "RankerInput",
        "to_llama_documents",
    ],
    "mom_micro.plugins.llama_index": [
        "MiCRoNodePostprocessor",
        "MoMNodeParser",
    ],
    "mom_micro.chains": [
        "DEFAULT_PROMPT",
        "MemoryRAGChain",
        "MemoryRAGInput",
        "MemoryRAGOutput",
        "format_memory",
        "memory_rag_chain",
    ],
    "mom_micro.bench": [
        "BenchDataset",
        "PreferenceBenchConfig",
        "Question",
        "SYSTEMS",
        "answer_hit",
        "answer_recall",
        "cut_to_budget",
        "evaluate_systems",
        "load_dataset",
        "normalize_answer",
        "run_benchmark",
        "run_memory_bench",
        "run_preference_benchmark",
        "run_retrieval_bench",
        "sweep_layer_weights",
        "write_memory_outputs",
        "write_outputs",
        "write_preference_outputs",
        "write_retrieval_outputs",
    ],
    "mom_micro.demo": [
        "DEMO_QUESTIONS",
        "DemoError",
        "DemoReport",
        "project_documents",
        "run_demo",
    ],
    "mom_micro.cli": [
        "build_parser",
        "main",
    ],
}


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_public_names_are_pinned_and_resolve(package):
    module = importlib.import_module(package)
    assert sorted(module.__all__) == PUBLIC[package]
    for name in module.__all__:
        assert getattr(module, name) is not None


def test_importing_the_packages_loads_no_framework():
    code = (
        "import sys, mom_micro, mom_micro.rewards, mom_micro.retrievers, mom_micro.bench, "
        "mom_micro.demo, mom_micro.plugins; "
        "print(sorted(m for m in ('torch', 'llama_index.core', 'langchain_core', 'chromadb') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
