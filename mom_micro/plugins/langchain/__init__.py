"""LangChain adapters: the MoM retriever and document transformer, the memory tool of an
agent, best-of-n answers for the user in an agent (a middleware), the MiCRo rankers, and
the offline language model as a chat model."""

from .chat_model import LocalChatModel
from .middleware import TIMING_KEY, BestOfNMiddleware, ranking_of
from .ranker import PersonalizedRanker, RankerInput
from .reranker import MiCRoCrossEncoder, MiCRoReranker
from .retriever import MoMRetriever, to_llama_documents
from .tool import memory_retriever_tool
from .transformer import MoMDocumentTransformer

__all__ = [
    "TIMING_KEY",
    "BestOfNMiddleware",
    "LocalChatModel",
    "MiCRoCrossEncoder",
    "MiCRoReranker",
    "MoMDocumentTransformer",
    "MoMRetriever",
    "PersonalizedRanker",
    "RankerInput",
    "memory_retriever_tool",
    "ranking_of",
    "to_llama_documents",
]
