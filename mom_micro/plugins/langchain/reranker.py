"""MiCRo personalised reranking for LangChain: a document compressor and a cross-encoder."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_community.cross_encoders import BaseCrossEncoder
from langchain_core.callbacks import Callbacks
from langchain_core.documents import Document
from langchain_core.documents.compressor import BaseDocumentCompressor
from pydantic import Field

from mom_micro.plugins.ranking import MiCRoRankingFields

__all__ = ["MiCRoCrossEncoder", "MiCRoReranker"]


class MiCRoReranker(MiCRoRankingFields, BaseDocumentCompressor):
    """Rerank retrieved documents for a user or a context, keeping them relevant.

    Each document's text is scored as a response to the query with the personalised
    reward ``r`` (the routed heads plus the user's online weights), and ranked by

    ``s = (1 - lambda) * rho_hat + lambda * r_hat``

    (:func:`~mom_micro.plugins.ranking.combine_relevance`): ``rho`` is the document's
    retrieval relevance, ``metadata[relevance_key]`` (``"score"``, what
    :class:`~mom_micro.plugins.langchain.MoMRetriever` writes) when every document has
    one, else the backbone's cosine between query and text; ``hat`` scales each to
    ``[0, 1]`` over the documents; ``lambda = reward_weight`` (0.3). So the reward
    reorders the documents near the top of the relevance range and cannot lift an
    off-topic document over the relevant ones. The ``top_n`` best are kept, as copies
    whose metadata adds ``relevance_score`` (``s``), ``reward`` (``r``),
    ``retrieval_relevance`` (``rho``), ``head_weights`` and ``head_scores``. No documents
    in, none out.

    Setup:
        .. code-block:: python

            from langchain_classic.retrievers import ContextualCompressionRetriever
            from mom_micro.plugins.langchain import MiCRoReranker

            reranker = MiCRoReranker.from_model_dir("my-reward", profiles="profiles.json",
                                                    top_n=3)

    Example:
        .. code-block:: python

            retriever = ContextualCompressionRetriever(
                base_compressor=reranker.for_user("ana"), base_retriever=base_retriever)
            docs = retriever.invoke("How do I bake bread?")
            docs[0].metadata["relevance_score"], docs[0].metadata["head_weights"]
            reranker.compress_documents(docs, "How do I bake bread?")   # directly

    Key params:
        model: the trained :class:`~mom_micro.rewards.MixtureRewardModel`.
        top_n: number of documents kept.
        user / context: whose preferences to rank by (``for_user`` makes a copy).
        reward_weight: ``lambda`` above (0: the retriever's order; 1: the reward's).
        relevance_key: the metadata key of the retriever's score.
        require_user_or_context: refuse to rank for nobody in particular.
    """

    top_n: int = Field(default=3, ge=1, description="Number of documents kept.")
    relevance_key: str = Field(
        default="score", description="Metadata key holding the retriever's relevance score."
    )

    def compress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """The ``top_n`` documents best for this user/context, best first."""
        if not documents:
            return []
        ranking = self.rank_documents(
            query,
            [doc.page_content for doc in documents],
            [doc.metadata.get(self.relevance_key) for doc in documents],
        )
        kept = []
        for candidate in ranking.candidates[: self.top_n]:
            doc = documents[candidate.index]
            metadata = {
                **doc.metadata,
                "relevance_score": candidate.score,
                "reward": candidate.reward,
                "retrieval_relevance": candidate.relevance,
                "head_weights": ranking.head_weights,
                "head_scores": candidate.head_scores,
            }
            kept.append(doc.model_copy(update={"metadata": metadata}))
        return kept


class MiCRoCrossEncoder(MiCRoRankingFields, BaseCrossEncoder):
    """MiCRo as a LangChain ``BaseCrossEncoder``: LangChain's own ``CrossEncoderReranker``
    (or anything else that takes a cross-encoder) scores with the personalised reward,
    combined with relevance.

    ``CrossEncoderReranker`` hands a cross-encoder only ``(query, text)`` pairs, no
    retrieval score; so relevance enters through the backbone as a relevance model:
    ``rho`` is the cosine between the query's and the text's embeddings, and the score
    of a pair is :func:`~mom_micro.plugins.ranking.combine_relevance` of ``rho`` and the
    reward over the pairs of the same query (``lambda = reward_weight``, 0.3): the
    reward reorders relevant texts and cannot lift an off-topic one over them. Set
    ``reward_weight=1`` for the bare reward.

    Setup:
        .. code-block:: python

            from langchain_classic.retrievers.document_compressors import CrossEncoderReranker
            from mom_micro.plugins.langchain import MiCRoCrossEncoder

            encoder = MiCRoCrossEncoder.from_model_dir("my-reward", user="ana")

    Example:
        .. code-block:: python

            encoder.score([("How do I bake bread?", "Knead, rise, bake."),
                           ("How do I bake bread?", "A long history of bread...")])
            reranker = CrossEncoderReranker(model=encoder, top_n=2)

    Key params:
        model, user, context, reward_weight, require_user_or_context: as for
        :class:`MiCRoReranker`.
    """

    def score(self, text_pairs: list[tuple[str, str]]) -> list[float]:
        """The score of each ``(query, text)`` pair (relevance and reward combined over
        the pairs of the same query; see the class docstring), in input order. No
        pairs, no scores."""
        by_query: dict[str, list[int]] = {}
        for i, (query, _) in enumerate(text_pairs):
            by_query.setdefault(query, []).append(i)
        scores = [0.0] * len(text_pairs)
        for query, rows in by_query.items():
            ranking = self.rank_documents(query, [text_pairs[i][1] for i in rows])
            for candidate in ranking.candidates:
                scores[rows[candidate.index]] = candidate.score
        return scores
