#!/bin/bash
# Install Horizon from PyPI into its own virtualenv for the dashboard's
# functional tests (idempotent). Horizon and Django are what a cloud's
# dashboard host already runs; they are optional for the service and never
# go into the project's virtualenv. The panels (dashboard/) and the REST
# client they share with the CLI (client/) are installed as a Horizon host
# installs them: their own distributions, without the service.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VENV=${HORIZON_VENV:-$ROOT/.ci-venvs/horizon}

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c '
import horizon, openstack_dashboard, osc_lib, keystoneauth1
import kcloud_analyzerclient.client, kcloud_analyzer_dashboard' 2>/dev/null
then
    exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
"$VENV/bin/pip" install -q "horizon>=25.0.0" -e "$ROOT/client" \
    -e "$ROOT/dashboard"
