"""Routing logic: what a Router's analyzer can be beyond a keyword table (a trained classifier, embeddings)."""
