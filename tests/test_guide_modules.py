"""The guide reads in small modules, one idea each, and the lessons' names for it still work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orchestration_kit.design as design

FOLDER = Path(design.__file__).parent


def test_every_module_of_the_guide_reads_in_one_sitting():
    lengths = {path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in FOLDER.glob("*.py")}
    assert {"process.py", "guide.py", "guide_form.py", "settings.py", "skeleton.py"} <= set(lengths)
    assert {name: n for name, n in lengths.items() if n > 200} == {}


def test_the_names_the_lessons_import_come_from_one_place_each():
    from orchestration_kit.design.guide import ProcessDescription, recommend  # lesson 8's imports
    from orchestration_kit.design.guide_form import GuideForm
    from orchestration_kit.design import process

    assert ProcessDescription is process.ProcessDescription
    assert GuideForm(ProcessDescription(dependent_steps=True)).recommendation.shape == recommend(
        ProcessDescription(dependent_steps=True)).shape == "sequential(step_1, step_2)"


def test_importing_the_form_module_does_not_import_widgets_until_a_form_is_made():
    code = ("import sys, orchestration_kit.design.guide_form; "
            "print([m for m in ('ipywidgets', 'pandas') if m in sys.modules])")
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert imported.strip() == "[]"
