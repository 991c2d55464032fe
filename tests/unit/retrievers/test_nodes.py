"""Layer nodes from a memory: exact spans, embedding text, relationships, metadata."""

from __future__ import annotations

from llama_index.core import Document
from llama_index.core.schema import MetadataMode, NodeRelationship

from mom_micro.plugins.llama_index import MoMNodeParser
from mom_micro.retrievers.nodes import node_id_for
from mom_micro.text import blank_markup


def _by_layer(nodes, layer):
    return [n for n in nodes if n.metadata["layer"] == layer]


def test_three_layers_with_exact_spans(reader, docs):
    parser = MoMNodeParser.from_defaults(reader=reader)
    nodes = parser.get_nodes_from_documents(docs)
    assert len(_by_layer(nodes, "outline")) == 2
    assert len(_by_layer(nodes, "core")) == 6
    chunks = _by_layer(nodes, "chunk")
    assert len(chunks) == 6
    source = {d.id_: d.text for d in docs}
    for chunk in chunks:
        text = source[chunk.metadata["doc_id"]]
        assert text[chunk.start_char_idx : chunk.end_char_idx] == chunk.text
        embedded = chunk.get_content(metadata_mode=MetadataMode.EMBED)
        assert embedded == chunk.metadata["title"] + "\n" + chunk.text
        assert chunk.get_content() == chunk.text
    outline = _by_layer(nodes, "outline")[0]
    assert outline.get_content(metadata_mode=MetadataMode.EMBED) == "1. Cats\n2. Dogs\n3. Birds"
    assert {c.node_id for c in chunks} >= {node_id_for("pets", "chunk", 0)}
    assert parser.memories["pets"].outline == ["Cats", "Dogs", "Birds"]


def test_relationships_stay_within_layers_and_documents(reader, docs):
    nodes = MoMNodeParser.from_defaults(reader=reader).get_nodes_from_documents(docs)
    by_id = {n.node_id: n for n in nodes}
    for node in nodes:
        assert node.relationships[NodeRelationship.SOURCE].node_id == node.metadata["doc_id"]
        for rel in (NodeRelationship.PREVIOUS, NodeRelationship.NEXT):
            if rel in node.relationships:
                other = by_id[node.relationships[rel].node_id]
                assert node.metadata["layer"] == other.metadata["layer"] == "chunk"
                assert node.metadata["doc_id"] == other.metadata["doc_id"]
    chunk1 = by_id["pets#chunk-1"]
    assert chunk1.relationships[NodeRelationship.PREVIOUS].node_id == "pets#chunk-0"
    assert chunk1.relationships[NodeRelationship.NEXT].node_id == "pets#chunk-2"
    assert NodeRelationship.NEXT not in by_id["pets#chunk-2"].relationships  # not into "space"
    assert chunk1.relationships[NodeRelationship.PARENT].node_id == "pets#core-1"
    core1 = by_id["pets#core-1"]
    assert core1.relationships[NodeRelationship.PARENT].node_id == "pets#outline"
    assert [c.node_id for c in core1.relationships[NodeRelationship.CHILD]] == ["pets#chunk-1"]
    assert len(by_id["pets#outline"].relationships[NodeRelationship.CHILD]) == 3
    # a core sentence also occurs in the source; its node must not get that span
    assert core1.start_char_idx is None


def test_document_metadata_is_copied_but_not_embedded(reader):
    doc = Document(
        text="Head\nBody text here.\n\nTail\nMore text.", id_="d", metadata={"source": "file.txt"}
    )
    nodes = MoMNodeParser.from_defaults(reader=reader).get_nodes_from_documents([doc])
    chunk = _by_layer(nodes, "chunk")[0]
    assert chunk.metadata["source"] == "file.txt"
    assert "file.txt" not in chunk.get_content(metadata_mode=MetadataMode.EMBED)


def test_titles_can_be_left_out_of_the_embedded_text(reader, docs):
    parser = MoMNodeParser.from_defaults(
        reader=reader, embed_chunk_title=False, embed_core_title=False
    )
    for node in parser.get_nodes_from_documents(docs):
        if node.metadata["layer"] != "outline":
            assert node.get_content(metadata_mode=MetadataMode.EMBED) == node.text


def test_html_tags_are_read_as_white_space_at_the_pages_offsets(reader):
    page = (
        "<H2>Cats</H2>\n<P>Cats purr when <b>content</b> and nap often.</P>\n\n"
        '<H2>Dogs</H2>\n<P>Dogs bark at <a href="/post">the postman</a> daily.</P>'
    )
    doc = Document(text=page, id_="pets")
    parser = MoMNodeParser.from_defaults(reader=reader)
    chunks = _by_layer(parser.get_nodes_from_documents([doc]), "chunk")
    assert [" ".join(c.text.split()) for c in chunks] == [
        "Cats Cats purr when content and nap often.",
        "Dogs Dogs bark at the postman daily.",
    ]
    for chunk in chunks:  # the same span of the page, its tags blanked
        assert blank_markup(page[chunk.start_char_idx : chunk.end_char_idx]) == chunk.text
        assert "<" not in chunk.get_content(metadata_mode=MetadataMode.EMBED)
    kept = MoMNodeParser.from_defaults(reader=reader, keep_markup=True)
    chunks = _by_layer(kept.get_nodes_from_documents([doc]), "chunk")
    assert chunks[0].text.startswith("<H2>Cats</H2>")
