"""Binder / repo2docker: a light learner image whose packages match pyproject.toml, the kit installed by postBuild."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+
ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=\[ ;]", requirement.strip(), maxsplit=1)[0].lower() for requirement in requirements}


def binder_packages() -> set[str]:
    lines = (ROOT / "binder" / "environment.yml").read_text().split("dependencies:")[1].splitlines()
    listed = [line.split("#")[0].strip()[2:] for line in lines if line.strip().startswith("- ")]
    return names(listed) - {"python", "pip", "setuptools"}


def test_the_binder_image_has_exactly_the_lessons_packages():
    extras = PROJECT["optional-dependencies"]
    lab = names(PROJECT["dependencies"]) | names(extras["notebooks"]) | names(extras["ml"])
    assert extras["lab"] == ["orchestration-kit[notebooks,ml]"]
    assert binder_packages() == lab


def test_post_build_installs_the_kit_itself_without_dependencies():
    script = ROOT / "binder" / "postBuild"
    assert script.stat().st_mode & 0o111, "postBuild must be executable"
    assert "pip install --no-deps --no-build-isolation -e ." in script.read_text()


@pytest.mark.slow
def test_repo2docker_picks_the_binder_folder_and_runs_post_build_after_copying_the_repository(tmp_path):
    repo2docker = shutil.which("repo2docker")
    if repo2docker is None:
        pytest.skip("repo2docker is not installed: pip install jupyter-repo2docker (the check needs no Docker)")
    shutil.copytree(ROOT / "binder", tmp_path / "binder")
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    rendered = subprocess.run([repo2docker, "--no-build", "--debug", "--user-id", "1000", "--user-name", "jovyan",
                               str(tmp_path)], capture_output=True, text=True, timeout=120)
    dockerfile = rendered.stdout + rendered.stderr
    assert rendered.returncode == 0, dockerfile[-2000:]
    env_update = dockerfile.index('--file "binder/environment.yml"')
    copy_repo = dockerfile.index("COPY --chown=1000:1000 src/ ${REPO_DIR}/")
    post_build = dockerfile.index("RUN ./binder/postBuild")
    assert env_update < copy_repo < post_build
