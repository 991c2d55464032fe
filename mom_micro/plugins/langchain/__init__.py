"""LangChain adapters: the MoM retriever and document transformer (MiCRo rankers later)."""

from .retriever import MoMRetriever, to_llama_documents
from .transformer import MoMDocumentTransformer

__all__ = ["MoMDocumentTransformer", "MoMRetriever", "to_llama_documents"]
