"""The passage-evidence weight (0 / .25 / .5) at each budget, for the ranked chunks and
the assembled context, on the LEval natural questions and COVID-QA papers 26-60
(docs/benchmarks.md, retrieval).

Run from the repository root: python docs/benchmarks/neighbours_per_budget.py
"""

from llama_index.core import Document

from mom_micro.bench import sweep_layer_weights
from mom_micro.bench.data import load_dataset_range
from mom_micro.retrievers import LayerWeights, MemoryIndex

grid = [LayerWeights(neighbours=x) for x in (0, 0.25, 0.5)]
for spec, scope in (
    ("../shared/data/qa/leval_natural_question.jsonl", "document"),
    ("../shared/data/qa/covidqa.json:26-60", "corpus"),
):
    data = load_dataset_range(spec)
    docs = [Document(text=t, id_=d) for d, t in data.documents.items()]
    index = MemoryIndex.from_documents(docs)
    for assemble in (False, True):
        for budget in (100, 200, 400, 800):
            for row in sweep_layer_weights(
                index, data, grid, budget, scope, similarity_top_k=40, assemble=assemble
            ):
                print(spec, assemble, row)
