#!/bin/bash
# Install Debian's prometheus package for the functional tests (idempotent).
# The tests start and stop the server themselves on a free loopback port.
set -euo pipefail

if command -v prometheus >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y --no-install-recommends prometheus; then
    $SUDO apt-get update
    $SUDO apt-get install -y --no-install-recommends prometheus
fi
