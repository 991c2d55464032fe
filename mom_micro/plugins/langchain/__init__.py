"""LangChain adapters: the MoM retriever and document transformer, the memory tool of an
agent, the MiCRo rankers, and the offline language model as a chat model."""

from .chat_model import LocalChatModel
from .ranker import PersonalizedRanker, RankerInput
from .reranker import MiCRoCrossEncoder, MiCRoReranker
from .retriever import MoMRetriever, to_llama_documents
from .tool import memory_retriever_tool
from .transformer import MoMDocumentTransformer

__all__ = [
    "LocalChatModel",
    "MiCRoCrossEncoder",
    "MiCRoReranker",
    "MoMDocumentTransformer",
    "MoMRetriever",
    "PersonalizedRanker",
    "RankerInput",
    "memory_retriever_tool",
    "to_llama_documents",
]
