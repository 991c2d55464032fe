"""MiCRoNodePostprocessor inside LlamaIndex's RetrieverQueryEngine (MockLLM, in-memory index)."""

from __future__ import annotations

import pytest
from llama_index.core import VectorStoreIndex
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import NodeWithScore, TextNode

from mom_micro.plugins.llama_index import MiCRoNodePostprocessor
from mom_micro.plugins.ranking import MiCRoRankingError
from tests.support.micro import concise, detailed, question

OWLS = question("owls")

TEXTS = [detailed("owls"), concise("owls"), "Owls are birds.", "Owls hunt at night."]


@pytest.fixture
def index() -> VectorStoreIndex:
    nodes = [
        TextNode(text=text, id_=f"n{i}", metadata={"source": f"s{i}"})
        for i, text in enumerate(TEXTS)
    ]
    return VectorStoreIndex(nodes, embed_model=MockEmbedding(embed_dim=8))


def test_postprocessor_in_retriever_query_engine_personalises(two_users, index):
    postprocessor = MiCRoNodePostprocessor(model=two_users, top_n=2, reward_weight=1.0)
    retriever = index.as_retriever(similarity_top_k=4)
    tops = {}
    for user in ("ana", "bo"):
        engine = RetrieverQueryEngine.from_args(
            retriever, llm=MockLLM(), node_postprocessors=[postprocessor.for_user(user)]
        )
        response = engine.query(OWLS)
        sources = response.source_nodes
        assert len(sources) == 2
        assert [s.score for s in sources] == sorted((s.score for s in sources), reverse=True)
        assert sources[0].metadata["relevance_score"] == pytest.approx(sources[0].score)
        assert sources[0].metadata["head_weights"] == pytest.approx(
            two_users.weights(OWLS, user=user)[:2].tolist()
        )
        assert sources[0].metadata["source"].startswith("s")
        assert "head_weights" not in str(response)  # MockLLM echoes its prompt
        assert sources[0].node.get_content() in str(response)
        tops[user] = sources[0].node.get_content()
    assert tops == {"ana": concise("owls"), "bo": detailed("owls")}
    assert all("relevance_score" not in n.metadata for n in index.docstore.docs.values())


def test_relevant_nodes_stay_ahead_and_the_user_reorders_them(two_users):
    relevant = {detailed("owls"): 0.81, "Owls hunt at night.": 0.83, concise("owls"): 0.80}
    off_topic = {concise("tea"): 0.21, detailed("bees"): 0.18, concise("comets"): 0.15}
    nodes = [
        NodeWithScore(node=TextNode(text=text), score=score)
        for text, score in {**off_topic, **relevant}.items()
    ]
    postprocessor = MiCRoNodePostprocessor(model=two_users, top_n=3)
    tops = {}
    for user in ("ana", "bo"):
        kept = postprocessor.for_user(user).postprocess_nodes(nodes, query_str=OWLS)
        assert {n.node.get_content() for n in kept} == set(relevant)
        assert [n.score for n in kept] == sorted((n.score for n in kept), reverse=True)
        assert kept[0].metadata["retrieval_relevance"] == relevant[kept[0].node.get_content()]
        tops[user] = kept[0].node.get_content()
    assert tops == {"ana": concise("owls"), "bo": detailed("owls")}


async def test_async_postprocess_and_stated_context(micro_model):
    nodes = [NodeWithScore(node=TextNode(text=text), score=0.5) for text in TEXTS[:2]]
    postprocessor = MiCRoNodePostprocessor(model=micro_model, top_n=1, reward_weight=1.0)
    concise_first = await postprocessor.for_user(context="concise").apostprocess_nodes(
        nodes, query_str=OWLS
    )
    assert concise_first[0].node.get_content() == concise("owls")
    detailed_first = postprocessor.for_user(context="detailed").postprocess_nodes(
        nodes, query_str=OWLS
    )
    assert detailed_first[0].node.get_content() == detailed("owls")
    assert postprocessor.postprocess_nodes([], query_str=OWLS) == []


def test_postprocessor_errors(micro_model):
    nodes = [NodeWithScore(node=TextNode(text="x"))]
    with pytest.raises(MiCRoRankingError, match="needs the query"):
        MiCRoNodePostprocessor(model=micro_model).postprocess_nodes(nodes)
    with pytest.raises(MiCRoRankingError, match="requires a user or a context"):
        MiCRoNodePostprocessor(model=micro_model, require_user_or_context=True).postprocess_nodes(
            nodes, query_str=OWLS
        )
