"""Designing a flow: the chapter's design questions as a recommender, and the skeleton flow it writes."""
