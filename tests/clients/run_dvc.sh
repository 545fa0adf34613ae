#!/usr/bin/env bash
# DVC's own artifact tests, and `dvc artifacts get` on a small project, against a gto tree.
#
# Usage: tests/clients/run_dvc.sh [GTO_TREE | upstream]
#   GTO_TREE  the gto checkout to install over upstream GTO (default: this repository);
#             "upstream" runs against upstream GTO 1.10.1 as DVC pulls it in.
# Environment (optional):
#   DVC_SDIST=/path/dvc-3.67.1.tar.gz  use this sdist instead of downloading it
#   KEEP_WORKDIR=1                     keep the scratch folder (its path is printed)
#   GIT=/path/to/git                   the git binary that builds the small project
#
# Steps: a fresh venv; `pip install dvc==3.67.1 gto==1.10.1` and the plugins DVC's
# conftest needs; `pip install --no-deps GTO_TREE` over upstream; `pip check` (DVC requires
# gto>=1.6.0,<2); DVC's tests from its sdist (only tests/ and pyproject.toml are unpacked:
# the sdist's dvc/ would shadow the installed one); then dvc_artifacts_get.sh, whose
# output must equal dvc_artifacts_get.expected (recorded with upstream GTO 1.10.1).
# Network: PyPI only (pip install, pip download). About 40 s with pip's cache, 2 min without.
set -euo pipefail

DVC_VERSION=3.67.1
UPSTREAM_GTO=1.10.1
HERE=$(cd "$(dirname "$0")" && pwd)
TREE=${1:-$(cd "$HERE/../.." && pwd)}
[ "$TREE" = upstream ] || TREE=$(cd "$TREE" && pwd)
GIT=${GIT:-$(command -v git)}

work=$(mktemp -d)
if [ "${KEEP_WORKDIR:-0}" = 1 ]; then
    echo "work dir: $work"
else
    trap 'rm -rf "$work"' EXIT
fi
start=$(date +%s)

python3 -m venv "$work/venv"
py="$work/venv/bin/python"
pip_() { "$py" -m pip --disable-pip-version-check --quiet "$@"; }
# pytest-mock: the autouse `mocker` fixture; pytest-xdist: `worker_id`; dvc-ssh: imported by
# tests/remotes/__init__.py.
pip_ install "dvc==$DVC_VERSION" "gto==$UPSTREAM_GTO" "pytest>=7,<10" pytest-mock \
    "pytest-xdist>=3.2" dvc-ssh filelock
if [ "$TREE" != upstream ]; then
    pip_ install --no-deps "$TREE"
fi
(cd "$work" && "$py" -c 'import gto, importlib.metadata as m; print("gto", m.version("gto"), gto.__file__)')
"$py" -m pip --disable-pip-version-check check

if [ -n "${DVC_SDIST:-}" ]; then
    sdist=$DVC_SDIST
else
    pip_ download --no-binary :all: --no-deps "dvc==$DVC_VERSION" -d "$work/sdist"
    sdist="$work/sdist/dvc-$DVC_VERSION.tar.gz"
fi
mkdir "$work/dvc"
tar -xzf "$sdist" -C "$work/dvc" --strip-components=1 \
    "dvc-$DVC_VERSION/tests" "dvc-$DVC_VERSION/pyproject.toml"

echo "== DVC $DVC_VERSION's artifact tests"
# DVC's own addopts need pytest-cov: replaced.
(cd "$work/dvc" && "$py" -m pytest -p no:cacheprovider -o addopts=-ra -q \
    tests/func/artifacts/test_artifacts.py \
    tests/func/api/test_artifacts.py \
    "tests/func/parsing/test_top_level.py::test_artifacts")

echo "== dvc artifacts get"
PATH="$(dirname "$GIT"):$PATH" "$HERE/dvc_artifacts_get.sh" "$work/venv/bin" "$work/get" \
    > "$work/get.out" 2>&1
diff -u "$HERE/dvc_artifacts_get.expected" "$work/get.out"
echo "same files as with upstream GTO $UPSTREAM_GTO ($(wc -l < "$work/get.out") calls)"
echo "== took $(( $(date +%s) - start )) s"
