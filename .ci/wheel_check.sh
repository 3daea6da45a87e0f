#!/usr/bin/env bash
# Build the sdist, then the wheel from that sdist (as PyPI users get it), install the wheel into a
# fresh venv outside the checkout, and run a simulated flow, a data set load and evaluate() (in process and on Dask workers) there.
# Usage: bash .ci/wheel_check.sh   (about a minute; pip reuses its cache for the dependencies)
set -euo pipefail
CHECKOUT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

"$PYTHON" -m venv "$WORK/venv"
PIP="$WORK/venv/bin/python -m pip --quiet"
$PIP install "build>=1"
"$WORK/venv/bin/python" -m build --outdir "$WORK/dist" "$CHECKOUT" >"$WORK/build.log" 2>&1 \
  || { cat "$WORK/build.log"; exit 1; }
ls "$WORK/dist"
WHEEL="$(ls "$WORK/dist"/orchestration_kit-*.whl)"
$PIP install "$WHEEL[distributed]"   # the extra of the README's Dask-worker route

cd "$WORK"   # nothing of the checkout on the path: the installed wheel must carry everything
MPLBACKEND=Agg "$WORK/venv/bin/python" "$CHECKOUT/.ci/wheel_smoke.py" "$CHECKOUT"
