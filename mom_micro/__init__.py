"""mom-micro: memory-based retrieval (MoM) and personalized response ranking (MiCRo)
for LangChain and LlamaIndex pipelines."""

__version__ = "0.1.0"
__all__ = ["__version__"]
