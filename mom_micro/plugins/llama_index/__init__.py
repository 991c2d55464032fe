"""LlamaIndex adapters: the MoM node parser (and, later, MiCRo node postprocessors)."""

from .node_parser import (
    LAYER_CHUNK,
    LAYER_CORE,
    LAYER_OUTLINE,
    LAYERS,
    MoMNodeParser,
    RejectedDocument,
    memory_to_nodes,
    node_id_for,
)

__all__ = [
    "LAYERS",
    "LAYER_CHUNK",
    "LAYER_CORE",
    "LAYER_OUTLINE",
    "MoMNodeParser",
    "RejectedDocument",
    "memory_to_nodes",
    "node_id_for",
]

from .postprocessor import MiCRoNodePostprocessor  # noqa: E402

__all__ += ["MiCRoNodePostprocessor"]
