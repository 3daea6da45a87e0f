"""Shared test set-up; the timed steps tests build flows from live in timed_steps.py."""

from __future__ import annotations

import os

import pytest

from timed_steps import sleeper

# A developer's shell may have strict grading switched on; unit tests decide for themselves.
os.environ.pop("ORCHESTRATION_KIT_STRICT", None)


@pytest.fixture
def sleep_step():
    return sleeper
