"""LLMExtractor with the real offline SmolLM2 as the guide, and the extractive fallback."""

from mom_micro.memory import (
    ExtractiveExtractor,
    LLMExtractor,
)
from tests.support.memory import hashing_embedder


def test_real_offline_guide_model_end_to_end(water_text):
    """SmolLM2-135M rarely writes a usable memory; whatever it writes, the result is a
    valid memory that tiles the text, from its own output or from the fallback."""
    from mom_micro.models.generation import LocalCausalLM

    reader = LLMExtractor(
        LocalCausalLM(max_new_tokens=200),
        n_paths=1,
        max_retries=0,
        fallback=ExtractiveExtractor(target_words=80, embedder=hashing_embedder),
    )
    memory = reader.extract(water_text, doc_id="water")
    assert memory.coverage == 1.0
    assert memory.extractor == "llm" or set(memory.metadata["failed_paths"]) == {"temperature=0.1"}
