#!/bin/bash
# Install Gnocchi from PyPI into its own virtualenv for the functional tests
# (idempotent). Gnocchi is a server with its own pinned dependencies, so it
# never goes into the project's virtualenv; the tests start gnocchi-api
# (through wsgiref) and gnocchi-metricd from this virtualenv themselves,
# with basic auth and behind Keystone (keystonemiddleware).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VENV=${GNOCCHI_VENV:-$ROOT/.ci-venvs/gnocchi}

if [ -x "$VENV/bin/gnocchi-metricd" ] && \
        "$VENV/bin/python" -c 'import gnocchi, psycopg2, keystonemiddleware' \
            2>/dev/null; then
    exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
"$VENV/bin/pip" install -q "gnocchi[postgresql,file,keystone]>=4.6.0"
