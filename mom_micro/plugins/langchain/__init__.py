"""LangChain adapters: the MoM retriever and document transformer (MiCRo rankers later)."""

from .retriever import MoMRetriever, to_llama_documents
from .transformer import MoMDocumentTransformer

__all__ = ["MoMDocumentTransformer", "MoMRetriever", "to_llama_documents"]

from .ranker import PersonalizedRanker, RankerInput  # noqa: E402
from .reranker import MiCRoCrossEncoder, MiCRoReranker  # noqa: E402

__all__ += ["MiCRoCrossEncoder", "MiCRoReranker", "PersonalizedRanker", "RankerInput"]
