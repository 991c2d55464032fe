"""LlamaIndex adapters: the MoM node parser and the MiCRo node postprocessor.

Example:
    >>> from mom_micro.plugins.llama_index import MiCRoNodePostprocessor, MoMNodeParser
    >>> parser = MoMNodeParser.from_defaults()
    >>> parser.class_name()
    'MoMNodeParser'
"""

from .node_parser import MoMNodeParser
from .postprocessor import MiCRoNodePostprocessor

__all__ = ["MiCRoNodePostprocessor", "MoMNodeParser"]
