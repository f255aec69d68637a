# kcloud-analyzer API and agent image. Build: make docker-build
#
# The build stage has git (pbr reads the version from the repository); the
# image itself gets only the virtualenv: every dependency comes as a wheel,
# so neither stage needs a compiler. PYTHON_IMAGE is any Debian 12 image
# with Python 3.11 as "python" (tools/docker-base-image.sh builds one
# where Docker Hub is out of reach).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/kcloud-analyzer
WORKDIR /src
COPY requirements.txt ./
RUN /opt/kcloud-analyzer/bin/pip install --only-binary=:all: -r requirements.txt
COPY . .
# Where the context has no usable .git (a git worktree's .git is a pointer
# to a folder outside it), make docker-build passes the version.
ARG PBR_VERSION=
RUN /opt/kcloud-analyzer/bin/pip install --no-deps . \
    && install -D -m 0644 etc/kcloud-analyzer/embedded-container.conf \
        /opt/kcloud-analyzer/etc/kcloud-analyzer/embedded-container.conf

FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PATH=/opt/kcloud-analyzer/bin:$PATH \
    KCLOUD_ANALYZER_STATE=/var/lib/kcloud-analyzer/state
COPY --from=build /opt/kcloud-analyzer /opt/kcloud-analyzer
RUN useradd --system --uid 42400 --user-group \
        --home-dir /var/lib/kcloud-analyzer --create-home kcloud

USER kcloud
WORKDIR /var/lib/kcloud-analyzer
EXPOSE 8080
# The embedded default: API and agent on one SQLite database, sample trace
# replayed. For a real deployment run kcloud-analyzer-api and
# kcloud-analyzer-agent with a config file mounted at /etc/kcloud-analyzer.
CMD ["kcloud-analyzer-all", "--config-file", "/opt/kcloud-analyzer/etc/kcloud-analyzer/embedded-container.conf"]
