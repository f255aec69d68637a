#!/bin/bash
# Install Ceilometer from PyPI into its own virtualenv for the functional
# tests (idempotent). Ceilometer is a server with its own pinned
# dependencies, so it never goes into the project's virtualenv; the tests
# start ceilometer-agent-notification from this virtualenv against the test
# RabbitMQ themselves.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VENV=${CEILOMETER_VENV:-$ROOT/.ci-venvs/ceilometer}

if [ -x "$VENV/bin/ceilometer-agent-notification" ] && \
        "$VENV/bin/python" -c 'import ceilometer.publisher.utils' 2>/dev/null; then
    exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
"$VENV/bin/pip" install -q "ceilometer>=24.0.0"
