"""Sentence probes: each atomic chunk is also searched by its sentences.

A chunk's embedding averages everything it says; a question about one of its sentences
(a number, a list of languages) matches that sentence far better than the whole span
with its title. :class:`~mom_micro.retrievers.MemoryIndex` therefore embeds every
sentence of every chunk (of at least :data:`MIN_PROBE_WORDS` words) as a *probe* in a
fourth vector layer, ``sentence``. A probe is not a result: it carries its chunk's
``doc_id`` and ``unit`` and only raises that chunk's match (the chunk is scored by its
best view, see :mod:`mom_micro.retrievers.fusion`). Probes live in the vector store only,
not in the index's records; their ids name their chunk (``<chunk id>~s<i>``, see
:func:`~mom_micro.retrievers.nodes.parse_node_id`), so a hit's id alone leads back to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from llama_index.core.schema import BaseNode, NodeRelationship, TextNode

from mom_micro.text import split_sentences

from .nodes import LAYER_CHUNK, LAYER_SENTENCE

if TYPE_CHECKING:
    from .storage.stores import LayerHit

__all__ = ["MIN_PROBE_WORDS", "probe_cosines", "sentence_probes"]

_PROBE_INDEX = re.compile(r"~s(\d+)$")

#: Shorter sentences (headings, "See Table 2.") say too little to probe with.
MIN_PROBE_WORDS = 4


def sentence_probes(nodes: Iterable[BaseNode]) -> list[TextNode]:
    """A probe node per sentence (of at least :data:`MIN_PROBE_WORDS` words) of each
    chunk node in ``nodes``; other layers are ignored. Each probe is embedded as the
    bare sentence and keeps its chunk's ``doc_id``, ``unit`` and source document.

    Example:
        >>> from mom_micro.memory import DocumentMemory, MemoryUnit
        >>> from mom_micro.retrievers.nodes import memory_to_nodes
        >>> text = "Cats purr when content. They nap. Cats sleep sixteen hours a day."
        >>> memory = DocumentMemory("pets", [MemoryUnit("Cats", "Cats purr.", 0, len(text))], text)
        >>> for probe in sentence_probes(memory_to_nodes(memory)):
        ...     print(probe.node_id, probe.text)
        pets#chunk-0~s0 Cats purr when content.
        pets#chunk-0~s1 Cats sleep sixteen hours a day.
    """
    probes: list[TextNode] = []
    for node in nodes:
        if node.metadata.get("layer") != LAYER_CHUNK:
            continue
        text = node.get_content()
        metadata = {
            "layer": LAYER_SENTENCE,
            "doc_id": node.metadata["doc_id"],
            "unit": node.metadata["unit"],
        }
        source = node.relationships.get(NodeRelationship.SOURCE)
        sentences = [s for s in split_sentences(text) if s.words >= MIN_PROBE_WORDS]
        for i, sentence in enumerate(sentences):
            probe = TextNode(
                id_=f"{node.node_id}~s{i}",
                text=text[sentence.start : sentence.end],
                metadata=dict(metadata),
                excluded_embed_metadata_keys=list(metadata),
                excluded_llm_metadata_keys=list(metadata),
            )
            if source is not None:
                probe.relationships[NodeRelationship.SOURCE] = source
            probes.append(probe)
    return probes


def probe_cosines(hits: Sequence[LayerHit]) -> dict[tuple[str, int], dict[int, float]]:
    """The cosine of each returned probe, by its chunk ``(doc_id, unit)`` and its index
    among that chunk's probes (the ``~s<i>`` of its id); the best when one repeats.

    Example:
        >>> from mom_micro.retrievers.storage.stores import LayerHit
        >>> probe_cosines([LayerHit("p#chunk-2~s1", "p", 2, "1", 0.8),
        ...                LayerHit("p#chunk-2~s0", "p", 2, "1", 0.5)])
        {('p', 2): {1: 0.8, 0: 0.5}}
    """
    found: dict[tuple[str, int], dict[int, float]] = {}
    for hit in hits:
        match = _PROBE_INDEX.search(hit.node_id)
        if match is None:
            continue
        per_chunk = found.setdefault((hit.doc_id, hit.unit), {})
        index = int(match.group(1))
        per_chunk[index] = max(hit.cosine, per_chunk.get(index, -1.0))
    return found
