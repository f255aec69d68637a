#!/bin/bash
# Install CloudKitty from PyPI into its own virtualenv for the rating
# benchmark (idempotent). CloudKitty is a server with its own pinned
# dependencies, so it never goes into the project's virtualenv;
# benchmarks/bench_rating.py runs its hashmap module from this virtualenv
# in a process of its own.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${CLOUDKITTY_VENV:-$ROOT/.ci-venvs/cloudkitty}

if "$VENV/bin/python" -c 'import cloudkitty.rating.hash' 2>/dev/null; then
    exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
"$VENV/bin/pip" install -q "cloudkitty>=25.0.0"
