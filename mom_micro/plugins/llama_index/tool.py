"""``memory_retriever_tool``: MoM memory retrieval as a tool of a LlamaIndex agent."""

from __future__ import annotations

from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.bridge.pydantic import BaseModel, Field
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle
from llama_index.core.tools import RetrieverTool, ToolMetadata, ToolOutput

from mom_micro.plugins.citations import (
    MEMORY_TOOL_DESCRIPTION,
    CitedChunk,
    format_cited_chunks,
)

__all__ = ["MemoryQuery", "MemoryRetrieverTool", "memory_retriever_tool"]


class MemoryQuery(BaseModel):
    """The memory tool's input."""

    query: str = Field(description="The question to search the memory for.")


class MemoryRetrieverTool(RetrieverTool):
    """A :class:`~llama_index.core.tools.RetrieverTool` that takes ``query`` and shows
    each chunk under its citation: ``[i] title (doc_id, characters start-end)``
    (:func:`~mom_micro.plugins.citations.format_cited_chunks`).

    ``ToolOutput.content`` is what the agent reads; ``ToolOutput.raw_output`` the nodes
    (with every layer score in their metadata). The node postprocessors (e.g. a
    :class:`~mom_micro.plugins.llama_index.MiCRoNodePostprocessor` for the user) run on
    the retrieved nodes before they are shown. Build one with
    :func:`memory_retriever_tool`.
    """

    def call(self, *args: Any, **kwargs: Any) -> ToolOutput:
        """Search for ``query`` (the keyword, or the one positional argument)."""
        query = self._query(args, kwargs)
        nodes = self.retriever.retrieve(query)
        nodes = self._apply_node_postprocessors(nodes, QueryBundle(query))
        return self._output(query, nodes)

    async def acall(self, *args: Any, **kwargs: Any) -> ToolOutput:
        """Search for ``query`` without blocking the event loop (``aretrieve``)."""
        query = self._query(args, kwargs)
        nodes = await self.retriever.aretrieve(query)
        nodes = await self._async_apply_node_postprocessors(nodes, QueryBundle(query))
        return self._output(query, nodes)

    def _query(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        if "query" in kwargs and not args and len(kwargs) == 1:
            return str(kwargs["query"])
        if len(args) == 1 and not kwargs:
            return str(args[0])
        raise ValueError(
            f"the tool {self.metadata.get_name()!r} takes one argument, query; "
            f"got {len(args)} positional and keywords {sorted(kwargs)}"
        )

    def _output(self, query: str, nodes: list[NodeWithScore]) -> ToolOutput:
        chunks = [
            CitedChunk.from_metadata(
                result.node.get_content(metadata_mode=MetadataMode.NONE),
                result.node.metadata,
                getattr(result.node, "start_char_idx", None),
                getattr(result.node, "end_char_idx", None),
            )
            for result in nodes
        ]
        return ToolOutput(
            content=format_cited_chunks(chunks),
            tool_name=self.metadata.get_name(),
            raw_input={"query": query},
            raw_output=nodes,
        )


def memory_retriever_tool(
    retriever: BaseRetriever,
    name: str = "memory",
    description: str = MEMORY_TOOL_DESCRIPTION,
    node_postprocessors: list[BaseNodePostprocessor] | None = None,
) -> MemoryRetrieverTool:
    """A tool of a ``FunctionAgent`` / ``AgentWorkflow`` that searches ``retriever`` and
    shows each chunk with its outline title and source span, so the agent can cite them.

    Built for the three-layer retriever (``MemoryIndex.as_retriever``); any retriever
    whose nodes carry ``title`` and ``doc_id`` metadata and character offsets works.

    Example:
        .. code-block:: python

            from llama_index.core.agent.workflow import FunctionAgent
            from mom_micro.plugins.llama_index import memory_retriever_tool
            from mom_micro.retrievers import MemoryIndex

            retriever = MemoryIndex.load("./mom_index").as_retriever(similarity_top_k=3)
            agent = FunctionAgent(tools=[memory_retriever_tool(retriever)], llm=llm)
            response = await agent.run("How do dogs behave?")
    """
    metadata = ToolMetadata(name=name, description=description, fn_schema=MemoryQuery)
    return MemoryRetrieverTool(retriever, metadata, node_postprocessors=node_postprocessors)
