"""Serving: the classroom server (the simulated models over HTTP), its plumbing, and a real local LLM."""
