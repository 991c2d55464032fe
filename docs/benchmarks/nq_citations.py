"""How many of mom's chunks, and of its and fixed128's first results, are Wikipedia
citations on the LEval natural questions (docs/benchmarks.md, retrieval).

Run from the repository root: python docs/benchmarks/nq_citations.py
"""

from llama_index.core import Document, VectorStoreIndex
from llama_index.core.node_parser import SentenceSplitter

from mom_micro.bench import load_dataset
from mom_micro.retrievers import MemoryIndex
from mom_micro.retrievers.embed_model import llamaindex_minilm


def citation(text):
    return "Jump up" in text or "Retrieved" in text


data = load_dataset("../shared/data/qa/leval_natural_question.jsonl")
docs = [Document(text=t, id_=d) for d, t in data.documents.items()]
index = MemoryIndex.from_documents(docs)
chunks = index.chunk_nodes()
print("mom chunks", len(chunks), "citations", sum(citation(c.get_content()) for c in chunks))
mom = index.as_retriever(similarity_top_k=1)
splitter = SentenceSplitter(chunk_size=128, chunk_overlap=20)
fixed = {
    d.id_: VectorStoreIndex(
        splitter.get_nodes_from_documents([d]), embed_model=llamaindex_minilm()
    ).as_retriever(similarity_top_k=1)
    for d in docs
}
for name, first in (
    ("mom", lambda q: mom.with_options(doc_ids=[q.doc_id]).retrieve(q.text)),
    ("fixed128", lambda q: fixed[q.doc_id].retrieve(q.text)),
):
    print(
        name,
        "first result a citation:",
        sum(citation(first(q)[0].node.get_content()) for q in data.questions),
    )
