#!/usr/bin/env bash
# The full reliability and security suite, alone: 200 concurrent kickoffs, 50+ SIGKILL trials,
# outages, storms and hostile input on SQLite and PostgreSQL. Writes docs/reliability.md.
# Takes 10–20 minutes on two cores. With arguments (test files or node ids), runs only those:
# their rows in docs/reliability.md are replaced, the others kept.
set -euo pipefail
cd "$(dirname "$0")/.."
export RELIABILITY_FULL=1
exec .venv/bin/pytest -q -p no:cacheprovider --timeout=1800 "${@:-tests/reliability}"
