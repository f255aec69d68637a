# kcloud-analyzer API and agent image. Build: make docker-build
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends git gcc libpq-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/kcloud-analyzer
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN pip install --no-cache-dir . \
    && useradd --system --home-dir /var/lib/kcloud-analyzer --create-home kcloud

USER kcloud
ENV KCLOUD_ANALYZER_STATE=/var/lib/kcloud-analyzer/state
EXPOSE 8080
# The embedded default: API and agent on one SQLite database, sample trace
# replayed. For a real deployment run kcloud-analyzer-api and
# kcloud-analyzer-agent with a config file mounted at /etc/kcloud-analyzer.
CMD ["kcloud-analyzer-all", "--config-file", "/opt/kcloud-analyzer/etc/kcloud-analyzer/embedded-container.conf"]
