"""LlamaIndex adapters: the MoM node parser, the MiCRo node postprocessor, the memory
tool of an agent and best-of-n answers for a user (``BestOfNLLM``).

Example:
    >>> from mom_micro.plugins.llama_index import MiCRoNodePostprocessor, MoMNodeParser
    >>> parser = MoMNodeParser.from_defaults()
    >>> parser.class_name()
    'MoMNodeParser'
"""

from .best_of_n import RANKING_KEY, BestOfNLLM, BestOfNQueryEngine, ranking_of
from .node_parser import MoMNodeParser
from .postprocessor import MiCRoNodePostprocessor
from .tool import MemoryQuery, MemoryRetrieverTool, memory_retriever_tool

__all__ = [
    "RANKING_KEY",
    "BestOfNLLM",
    "BestOfNQueryEngine",
    "MemoryQuery",
    "MemoryRetrieverTool",
    "MiCRoNodePostprocessor",
    "MoMNodeParser",
    "memory_retriever_tool",
    "ranking_of",
]
