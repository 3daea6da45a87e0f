"""Browser tests: run explicitly with `pytest tests/browser` (see conftest.py)."""
