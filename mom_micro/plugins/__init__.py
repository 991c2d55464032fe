"""Thin adapters to LangChain and LlamaIndex base classes."""
