"""The kit installs anywhere: its data ships inside the package, and every subpackage is listed.

The full check (build the sdist and the wheel, install the wheel in a fresh venv outside the
checkout, run a flow, load a data set, evaluate) is ``bash .ci/wheel_check.sh``.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from orchestration_kit import datasets
from orchestration_kit.models.config import CONFIG_FILE
from orchestration_kit.grading.lesson07 import CASSETTES
from orchestration_kit.models.simulated import CATALOG
from orchestration_kit.paths import DATA_DIR

tomllib = pytest.importorskip("tomllib")  # Python 3.11+
ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_data_path_of_the_kit_comes_from_the_one_data_dir():
    assert DATA_DIR == (ROOT / "data").resolve()  # the editable install reads the repository's own folder
    for path in (CATALOG, CONFIG_FILE, CASSETTES, Path(datasets.DATA_DIR)):
        assert DATA_DIR in (path, *path.parents)


def test_the_package_list_names_every_subpackage_on_disk():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    on_disk = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "orchestration_kit").rglob("__init__.py")}
    assert on_disk - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert {"orchestration_kit.data", "orchestration_kit.data.cassettes"} <= listed


def test_package_data_covers_every_shipped_data_file():
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]
    shipped = [p for p in (ROOT / "data").rglob("*") if p.is_file() and p.suffix in (".csv", ".jsonl", ".json")]
    assert shipped
    for path in shipped:
        package = "orchestration_kit.data" + "".join(f".{part}" for part in path.parent.relative_to(ROOT / "data").parts)
        assert any(path.match(pattern) for pattern in patterns.get(package, [])), f"{path} would not be in the wheel"


@pytest.mark.slow
def test_the_built_wheel_carries_the_catalog_config_data_sets_and_cassettes(tmp_path):
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(ROOT)],
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = tmp_path.glob("orchestration_kit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"orchestration_kit/data/{p.relative_to(ROOT / 'data').as_posix()}"
                for p in (ROOT / "data").rglob("*") if p.suffix in (".csv", ".jsonl", ".json")}
    assert "orchestration_kit/data/models.csv" in expected and "orchestration_kit/data/cassettes/07_checks.jsonl" in expected
    assert expected - names == set()
    assert not any(name.startswith("data/") for name in names)  # nothing lands as a top-level "data" package
