"""Sentence probes: which sentences become probes, and how they lift their chunk."""

from __future__ import annotations

import pytest
from llama_index.core import Document
from llama_index.core.schema import NodeRelationship
from llama_index.core.vector_stores import SimpleVectorStore

from mom_micro.memory import DocumentMemory, MemoryUnit
from mom_micro.retrievers import LayerStores, LayerWeights, MemoryIndex, sentence_probes
from mom_micro.retrievers.nodes import memory_to_nodes
from tests.support.retrieval import write_legacy_index

ZOO = """Zoo
The zoo opened in spring with new exhibits for visitors and families. Giraffes eat acacia \
leaves from tall trees. Keepers clean enclosures, feed penguins fish, weigh elephants \
monthly, repair fences after storms and paint signs.

Garden
Giraffes statues stand near leaves and benches."""

CHUNK_ONLY = LayerWeights(core=0, outline=0, lexical=0, neighbours=0)


def test_probes_are_the_chunks_sentences_with_their_chunks_keys():
    text = "Results\nWe tag 48,705 books. See Fig. 2. The tags come from editors and readers."
    memory = DocumentMemory("p", [MemoryUnit("Results", "Tags.", 0, len(text))], text)
    source = Document(text=text, id_="p")
    nodes = memory_to_nodes(memory, source=source)
    probes = sentence_probes(nodes)
    # the heading "Results" and "See Fig. 2." are under four words; other layers give none
    assert [p.text for p in probes] == [
        "We tag 48,705 books.",
        "The tags come from editors and readers.",
    ]
    assert [p.node_id for p in probes] == ["p#chunk-0~s0", "p#chunk-0~s1"]
    for probe in probes:
        assert probe.metadata == {"layer": "sentence", "doc_id": "p", "unit": 0}
        assert probe.get_content(metadata_mode="embed") == probe.text
        assert probe.relationships[NodeRelationship.SOURCE].node_id == "p"
        assert text[text.index(probe.text) :].startswith(probe.text)


def test_a_matching_sentence_lifts_its_diluted_chunk(reader, embed):
    index = MemoryIndex.from_documents(
        [Document(text=ZOO, id_="zoo")], None, reader=reader, embed_model=embed
    )
    assert index.last_report.probes == 4 and "4 sentence probes" in str(index.last_report)
    question = "Giraffes eat acacia leaves?"
    without = index.as_retriever(
        similarity_top_k=2, weights=CHUNK_ONLY, layer_top_k={"sentence": 0}
    ).retrieve(question)
    assert without[0].node.node_id == "zoo#chunk-1"  # the short chunk shares two words
    assert without[0].node.metadata["score_sentence"] is None
    found = index.as_retriever(similarity_top_k=2, weights=CHUNK_ONLY).retrieve(question)
    assert found[0].node.node_id == "zoo#chunk-0"
    meta = found[0].node.metadata
    assert meta["score_sentence"] > meta["score_chunk"]
    assert found[0].score == pytest.approx(meta["score_sentence"], abs=1e-5)
    assert found[0].node.text.startswith("Zoo\nThe zoo opened")  # the chunk, not the probe


def test_probes_found_in_an_ids_only_store_lead_back_to_their_chunk(reader, embed):
    """SimpleVectorStore returns ids without nodes; probe ids are not in the docstore."""
    index = MemoryIndex.from_documents(
        [Document(text=ZOO, id_="zoo")],
        None,
        reader=reader,
        embed_model=embed,
        vector_store=SimpleVectorStore(),
    )
    found = index.as_retriever(similarity_top_k=1, weights=CHUNK_ONLY).retrieve(
        "Giraffes eat acacia leaves?"
    )
    assert found[0].node.node_id == "zoo#chunk-0" and found[0].node.metadata["score_sentence"]
    index.delete("zoo")
    assert index.stores.query("sentence", embed.get_query_embedding("giraffes"), 5) == []


def test_a_store_mapping_without_the_sentence_layer_is_refused():
    store = SimpleVectorStore()
    with pytest.raises(ValueError, match=r"no vector store given for layer\(s\) \['sentence'\]"):
        LayerStores({"outline": store, "core": store, "chunk": store})


def test_an_index_from_before_probes_migrates_and_new_documents_get_probes(
    tmp_path, reader, embed, docs
):
    write_legacy_index(tmp_path / "idx", docs, reader, embed, version=1)
    reopened = MemoryIndex.load(tmp_path / "idx", reader=reader, embed_model=embed)
    found = reopened.as_retriever(similarity_top_k=1).retrieve("Which planet is red, Mars?")
    assert found[0].node.node_id == "space#chunk-0"
    assert found[0].node.metadata["score_sentence"] is None  # no probes for old documents
    assert reopened.insert(Document(text=ZOO, id_="zoo")).probes == 4
    assert reopened.document("zoo").vectors["sentence"] == 4
