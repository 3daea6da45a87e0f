"""Where the kit's shipped files are, in every kind of install: one constant, ``DATA_DIR``.

The repository keeps them in its top-level ``data/`` folder, the one to browse
and read (data cards, the generator, the model catalog and config, the
cassettes). pyproject.toml installs that very folder as the package
``orchestration_kit.data``, so an editable install, a wheel and an sdist all
find it the same way, through ``importlib.resources``::

    >>> from orchestration_kit.paths import DATA_DIR
    >>> (DATA_DIR / "models.csv").name
    'models.csv'
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

_REINSTALL = ("the kit's data package (orchestration_kit.data) is not installed; reinstall the kit: "
              "`make setup` or `pip install -e .` in its folder, or `pip install orchestration-kit`")


def _data_dir() -> Path:
    try:
        folder = files("orchestration_kit.data")
    except ModuleNotFoundError:  # an editable install made before data/ became a package
        raise ModuleNotFoundError(_REINSTALL) from None
    return Path(str(folder))  # pip installs packages as folders on disk, never zipped


DATA_DIR: Path = _data_dir()
