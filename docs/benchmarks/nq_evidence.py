"""mom's evidence removed one piece at a time on the LEval natural questions, with and
without the sentence probes, hit@B at each budget (docs/benchmarks.md, retrieval).

Run from the repository root: python docs/benchmarks/nq_evidence.py
"""

from llama_index.core import Document

from mom_micro.bench import load_dataset, sweep_layer_weights
from mom_micro.retrievers import LayerWeights, MemoryIndex

data = load_dataset("../shared/data/qa/leval_natural_question.jsonl")
index = MemoryIndex.from_documents([Document(text=t, id_=d) for d, t in data.documents.items()])
grid = [
    LayerWeights(),
    LayerWeights(lexical=0),
    LayerWeights(core=0),
    LayerWeights(neighbours=0),
    LayerWeights(core=0, outline=0, lexical=0, neighbours=0),
]
for probes in ({}, {"sentence": 0}):  # with the sentence probes, then without them
    for budget in (100, 200, 400, 800):
        for row in sweep_layer_weights(index, data, grid, budget, "document", layer_top_k=probes):
            print(probes, row)
