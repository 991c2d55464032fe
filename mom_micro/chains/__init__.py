"""LCEL chains composing memory retrieval and personalized ranking."""
