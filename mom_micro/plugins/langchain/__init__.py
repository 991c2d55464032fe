"""LangChain adapters: the MoM retriever and document transformer, the MiCRo rankers,
and the offline language model as a chat model."""

from .chat_model import LocalChatModel
from .ranker import PersonalizedRanker, RankerInput
from .reranker import MiCRoCrossEncoder, MiCRoReranker
from .retriever import MoMRetriever, to_llama_documents
from .transformer import MoMDocumentTransformer

__all__ = [
    "LocalChatModel",
    "MiCRoCrossEncoder",
    "MiCRoReranker",
    "MoMDocumentTransformer",
    "MoMRetriever",
    "PersonalizedRanker",
    "RankerInput",
    "to_llama_documents",
]
