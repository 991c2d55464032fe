"""Three-layer memory retrieval: the index of the three layers and its retriever."""
