"""``MiCRoNodePostprocessor``: personalised MiCRo reranking of LlamaIndex nodes."""

from __future__ import annotations

from llama_index.core.bridge.pydantic import Field
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle

from mom_micro.plugins.ranking import MiCRoRankingError, MiCRoRankingFields

__all__ = ["SCORE_KEYS", "MiCRoNodePostprocessor"]

#: Metadata keys the postprocessor writes (hidden from the LLM and the embedding).
SCORE_KEYS = (
    "relevance_score",
    "reward",
    "retrieval_relevance",
    "head_weights",
    "head_scores",
)


class MiCRoNodePostprocessor(MiCRoRankingFields, BaseNodePostprocessor):
    """Rerank retrieved nodes for a user or a context, keeping them relevant.

    Each node's text is scored as a response to the query with the personalised reward
    ``r`` (the routed heads plus the user's online weights), and the nodes are ranked by

    ``s = (1 - lambda) * rho_hat + lambda * r_hat``

    (:func:`~mom_micro.plugins.ranking.combine_relevance`): ``rho`` is the retriever's
    ``node.score`` when every node has one, else the backbone's cosine between query and
    text; ``hat`` scales each to ``[0, 1]`` over the nodes; ``lambda = reward_weight``
    (0.3). The reward reorders the nodes near the top of the relevance range and cannot
    lift an off-topic node over the relevant ones. The ``top_n`` best are kept with
    ``score = s``, as copies whose metadata adds ``relevance_score`` (``s``), ``reward``,
    ``retrieval_relevance``, ``head_weights`` and ``head_scores`` (excluded from what
    the LLM and the embedding see). The index's stored nodes are not modified. No nodes
    in, none out.

    Setup:
        .. code-block:: python

            from mom_micro.plugins.llama_index import MiCRoNodePostprocessor

            postprocessor = MiCRoNodePostprocessor.from_model_dir(
                "my-reward", profiles="profiles.json", top_n=3, user="ana")

    Example:
        .. code-block:: python

            engine = index.as_query_engine(similarity_top_k=10,
                                           node_postprocessors=[postprocessor])
            response = engine.query("How do I bake bread?")
            response.source_nodes[0].score, response.source_nodes[0].metadata["head_weights"]
            postprocessor.for_user("bo").postprocess_nodes(nodes, query_str="...")

    Key params:
        model: the trained :class:`~mom_micro.rewards.MixtureRewardModel`.
        top_n: number of nodes kept.
        user / context: whose preferences to rank by (``for_user`` makes a copy).
        reward_weight: ``lambda`` above (0: the retriever's order; 1: the reward's).
        require_user_or_context: refuse to rank for nobody in particular.
    """

    top_n: int = Field(default=3, ge=1, description="Number of nodes kept.")

    @classmethod
    def class_name(cls) -> str:
        """The name LlamaIndex serialises this component under."""
        return "MiCRoNodePostprocessor"

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        if query_bundle is None:
            raise MiCRoRankingError("MiCRoNodePostprocessor needs the query (query_bundle)")
        if not nodes:
            return []
        texts = [n.node.get_content(metadata_mode=MetadataMode.NONE) for n in nodes]
        ranking = self.rank_documents(query_bundle.query_str, texts, [n.score for n in nodes])
        kept = []
        for candidate in ranking.candidates[: self.top_n]:
            node = nodes[candidate.index].node
            update: dict[str, object] = {
                "metadata": {
                    **node.metadata,
                    "relevance_score": candidate.score,
                    "reward": candidate.reward,
                    "retrieval_relevance": candidate.relevance,
                    "head_weights": ranking.head_weights,
                    "head_scores": candidate.head_scores,
                }
            }
            for attr in ("excluded_llm_metadata_keys", "excluded_embed_metadata_keys"):
                excluded = list(getattr(node, attr))
                update[attr] = excluded + [key for key in SCORE_KEYS if key not in excluded]
            kept.append(NodeWithScore(node=node.model_copy(update=update), score=candidate.score))
        return kept
