# Groundline's container image.
#   builder  a virtualenv at /opt/venv with the pinned dependencies and the project
#   runtime  what you deploy: non-root, SQLite on the /data volume by default, `groundline serve`
#   smoke    proof that the runtime image starts: build it with `--target smoke`
#
# The base only needs a Python 3.11 with `venv`: python:3.11-slim by default, or any other image
# passed as `--build-arg PYTHON_IMAGE=...` (scripts/check-image.sh uses a Debian bookworm base whose
# interpreter is /usr/bin/python3; PYTHON names the interpreter on the PATH).
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS builder
ARG PYTHON=python3
# Both optional; passed through to pip when set (e.g. behind a proxy that re-signs TLS, mount
# its CA bundle and point PIP_CERT at it).
ARG PIP_CERT=""
ARG PIP_INDEX_URL=""
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN "$PYTHON" -m venv /opt/venv
WORKDIR /src
# Dependencies first, so editing the code does not reinstall them.
COPY requirements.lock ./
RUN set -eu; \
    [ -n "${PIP_CERT:-}" ] || unset PIP_CERT; \
    [ -n "${PIP_INDEX_URL:-}" ] || unset PIP_INDEX_URL; \
    /opt/venv/bin/pip install --quiet -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
# The lock already pins setuptools, so the build needs no download of its own.
RUN set -eu; \
    [ -n "${PIP_CERT:-}" ] || unset PIP_CERT; \
    [ -n "${PIP_INDEX_URL:-}" ] || unset PIP_INDEX_URL; \
    /opt/venv/bin/pip install --quiet --no-deps --no-build-isolation . ; \
    /opt/venv/bin/groundline --help > /dev/null


FROM ${PYTHON_IMAGE} AS runtime
RUN set -eu; \
    groupadd --system groundline; \
    useradd --system --gid groundline --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin groundline; \
    mkdir -p /data /app; \
    chown groundline:groundline /data
COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_URL=sqlite:////data/groundline.db
# Settings also read a `.env` in the working directory; mount one at /app/.env if you prefer that.
WORKDIR /app
USER groundline
VOLUME ["/data"]
EXPOSE 3000
# The slim base has no curl; Python's urllib fails on anything but a 2xx (503 = database down).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]
ENTRYPOINT ["groundline"]
CMD ["serve"]


# Runs the real entry points inside the runtime image, as its user, during the build: the CLI,
# migrations on the default SQLite path in /data, and `serve` until /healthz answers 200. The
# dummy tokens are never sent anywhere: nothing talks to Slack at start, and SLACK_API_URL points
# at a closed local port. HOST/PORT are loopback and an unusual port, as the build may share the
# machine's network.
FROM runtime AS smoke
ARG SMOKE_PORT=39517
RUN set -eu; \
    test "$(id -un)" = groundline; \
    groundline --help > /dev/null; \
    groundline db upgrade; \
    test -s /data/groundline.db; \
    export SLACK_BOT_TOKEN=xoxb-smoke SLACK_SIGNING_SECRET=smoke \
        SLACK_API_URL=http://127.0.0.1:9/ HOST=127.0.0.1 PORT="$SMOKE_PORT"; \
    groundline serve & server=$!; \
    healthy=no; \
    for _ in $(seq 1 120); do \
        if python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$PORT/healthz', timeout=2)" 2>/dev/null; then \
            healthy=yes; break; \
        fi; \
        kill -0 "$server" 2>/dev/null || break; \
        sleep 0.5; \
    done; \
    worker=no; \
    for comm in /proc/[0-9]*/comm; do \
        if [ "$(cat "$comm" 2>/dev/null)" = groundline-work ]; then worker=yes; fi; \
    done; \
    kill -TERM "$server" 2>/dev/null || true; \
    status=0; wait "$server" || status=$?; \
    echo "smoke: /healthz answered 200: $healthy; worker process running: $worker; serve exited with $status after SIGTERM"; \
    test "$healthy" = yes; \
    test "$worker" = yes; \
    test "$status" = 0
