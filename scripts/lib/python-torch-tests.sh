#!/usr/bin/env bash
# The Python package against real torch tensors: tests/python/test_torch.py run by /usr/bin/python3
# with Debian's python3-torch and python3-numpy (PyPI's torch is too large for CI), against a
# built wheel unpacked into a temporary directory (nothing is installed). The wheel must be for
# the Python version of /usr/bin/python3; otherwise the step says so and is skipped (exit 0).
#
#   scripts/lib/python-torch-tests.sh WHEEL_OR_DIST_DIR
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
(($# == 1)) || { echo "usage: $0 WHEEL_OR_DIST_DIR" >&2; exit 2; }

# shellcheck source=scripts/lib/deps.sh
source "$root/scripts/lib/deps.sh"
icl_ensure_dependencies icl_missing_torch_packages

python=/usr/bin/python3
tag=$("$python" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
wheel=$1
if [[ -d $wheel ]]; then
  wheel=$(find "$wheel" -maxdepth 1 -name "icl_metrics-*-$tag-*.whl" | sort | tail -n 1)
  if [[ -z $wheel ]]; then
    echo "python-torch-tests: skipped: no icl_metrics wheel for $tag ($python) in $1"
    exit 0
  fi
elif [[ $(basename "$wheel") != *"-$tag-"* ]]; then
  echo "python-torch-tests: skipped: $(basename "$wheel") is not for $tag ($python)"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$python" -m zipfile -e "$wheel" "$tmp/site"
mkdir "$tmp/run"
cp "$root/tests/python/test_torch.py" "$tmp/run/"
# From outside the source tree, so that only the unpacked wheel provides icl_metrics.
cd "$tmp/run"
PYTHONPATH="$tmp/site" PYTHONNOUSERSITE=1 "$python" -c 'import icl_metrics, sys; print("icl_metrics from", icl_metrics.__file__)'
PYTHONPATH="$tmp/site" PYTHONNOUSERSITE=1 "$python" test_torch.py
