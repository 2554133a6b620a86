"""Index side: embedders, the embedding cache, and the index directory (FAISS + BM25 + clause store)."""
