"""HTTP layer: a FastAPI app made by a factory; thin handlers over the searcher."""
