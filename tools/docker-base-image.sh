#!/bin/bash
# Build a stand-in for python:3.11-slim-bookworm from Debian's own
# packages, for a Docker engine that cannot pull from Docker Hub:
#
#   sudo tools/docker-base-image.sh
#   make docker-build PYTHON_IMAGE=kcloud-analyzer-base:bookworm-py311
#
# Debian 12's python3 is 3.11; "python" is linked to it as in the official
# image. The CA certificates this host adds to its own trust store
# (/usr/local/share/ca-certificates, e.g. a TLS-inspecting proxy's) are
# trusted in the image too, so that pip and apt reach what the host
# reaches. Needs root, debootstrap and a Debian mirror (debootstrap's
# default, or the second argument).
set -euo pipefail

IMAGE=${1:-kcloud-analyzer-base:bookworm-py311}
MIRROR=${2:-}
for tool in debootstrap docker; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "docker-base-image: $tool is not installed" >&2
        exit 2
    fi
done

ROOTFS=$(mktemp -d)
trap 'rm -rf "$ROOTFS"' EXIT
# shellcheck disable=SC2086
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    bookworm "$ROOTFS" $MIRROR
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt \
        "$ROOTFS/usr/local/share/ca-certificates/"
    chroot "$ROOTFS" update-ca-certificates
fi
ln -sf /usr/bin/python3 "$ROOTFS/usr/local/bin/python"
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
tar -C "$ROOTFS" -c . | docker import --change 'CMD ["python3"]' - "$IMAGE"
echo "built $IMAGE"
