"""The BM25 weight swept on COVID-QA papers 36-60, held out from the first 25, hit@400
(docs/benchmarks.md, retrieval). Change ``grid`` (and the papers) for the other weights.

Run from the repository root: python docs/benchmarks/lexical_sweep.py
"""

from llama_index.core import Document

from mom_micro.bench import load_dataset, sweep_layer_weights
from mom_micro.retrievers import LayerWeights, MemoryIndex

data = load_dataset("../shared/data/qa/covidqa.json")
held_out = {d: data.documents[d] for d in list(data.documents)[35:60]}  # papers 36-60
index = MemoryIndex.from_documents([Document(text=t, id_=d) for d, t in held_out.items()])
data.documents = held_out
data.questions = [q for q in data.questions if q.doc_id in held_out]
grid = [LayerWeights(lexical=x) for x in (0, 0.2, 0.3, 0.4, 0.5, 0.7)]
for row in sweep_layer_weights(index, data, grid, max_words=400):
    print(row)
