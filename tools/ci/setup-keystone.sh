#!/bin/bash
# Install Keystone from PyPI into its own virtualenv for the API's
# functional tests (idempotent). Keystone is a server with its own pinned
# dependencies, so it never goes into the project's virtualenv; the tests
# create its SQLite database and fernet keys and serve it on a free
# loopback port themselves.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VENV=${KEYSTONE_VENV:-$ROOT/.ci-venvs/keystone}

if [ -x "$VENV/bin/keystone-manage" ] && \
        "$VENV/bin/python" -c 'import keystone.server.wsgi' 2>/dev/null; then
    exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
"$VENV/bin/pip" install -q "keystone>=25.0.0"
