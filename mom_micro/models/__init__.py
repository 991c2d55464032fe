"""The offline models and how they decode, below the memory and reward cores: where the
bundled models are (:mod:`.paths`), the MiniLM on ONNX Runtime (:mod:`.minilm`), the
default models loaded once per process (:mod:`.defaults`), a local causal LM as a guide
model (:mod:`.generation`) and copy-constrained decoding (:mod:`.copy_decoding`).
Imports go one way: generation -> defaults -> minilm -> paths, generation -> copy_decoding.
"""
