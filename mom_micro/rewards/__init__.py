"""MiCRo core: preference pairs in, a personalized reward out (torch only)."""
