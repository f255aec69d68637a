#!/bin/bash
# Install Debian's Chromium and its WebDriver for the dashboard's browser
# test (tests/functional/dashboard/test_browser.py); idempotent. The
# browser is Debian's build: nothing is downloaded at test time.
set -euo pipefail

if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium chromium-driver >/dev/null
