# syntax=docker/dockerfile:1
#
# Production image for the inter-library exchange service. One image, two roles:
#   exchange api      (default CMD) FastAPI on 0.0.0.0:$EXCHANGE_PORT, runs Alembic migrations on start
#   exchange worker   Temporal worker
# See docker-compose.yml for how both are wired to PostgreSQL and Temporal.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: install the project (no dev extras) into a self-contained virtualenv -------------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
COPY . .
RUN pip install .

# --- runtime -----------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    EXCHANGE_HOST=0.0.0.0 \
    EXCHANGE_PORT=8000 \
    EXCHANGE_DATA_DIR=/var/lib/exchange

# Pango and a font with Cyrillic for WeasyPrint's PDFs (offer lists, shipment papers).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
        fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# Unprivileged user; the data directory exists and belongs to it so that a fresh named
# volume mounted there inherits that ownership.
RUN groupadd --system --gid 10001 exchange \
    && useradd --system --uid 10001 --gid exchange --home-dir /home/exchange --create-home \
        --shell /usr/sbin/nologin exchange \
    && install -d -o exchange -g exchange -m 0750 /var/lib/exchange

COPY --from=build /opt/venv /opt/venv

USER exchange:exchange
WORKDIR /home/exchange
EXPOSE 8000

# slim has no curl: ask /health with the standard library (direct connection, no proxies).
# The worker role serves no HTTP; docker-compose.yml disables this check for it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import http.client, os, sys; c = http.client.HTTPConnection('127.0.0.1', int(os.environ.get('EXCHANGE_PORT') or 8000), timeout=4); c.request('GET', '/health'); sys.exit(0 if c.getresponse().status == 200 else 1)"]

CMD ["exchange", "api"]
