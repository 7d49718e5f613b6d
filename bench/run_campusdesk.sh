#!/usr/bin/env bash
# Run campusdesk under ../shared/bench/drive.py: for each repeat, start gunicorn (2 sync
# workers, DEBUG off, PostgreSQL, Redis), run the plan, record the workers' memory, stop gunicorn.
#
#   DB=cd_bench_gen SIZE=100k REPEATS=3 bash bench/run_campusdesk.sh
#
# Needs: the database DB loaded by `bench.gen` and its manifest
# (bench/manifest.py --out bench/results/manifest_campusdesk_$SIZE.json), and a virtualenv
# with aiohttp for the driver (DRV, default var/bench-gen/driver/bin/python; `make bench`
# passes /opt/bench-driver/bin/python, the one it drives django-helpdesk with). RAW: where the
# raw JSON goes (default bench/results/raw).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SHARED="${SHARED:-$ROOT/../shared/bench}"
DB="${DB:-cd_bench_gen}"
SIZE="${SIZE:-100k}"
REPEATS="${REPEATS:-3}"
PLAN="${PLAN:-default}"
PORT="${PORT:-8123}"
DRV="${DRV:-$ROOT/var/bench-gen/driver/bin/python}"
RAW="${RAW:-$ROOT/bench/results/raw}"
mkdir -p "$RAW"
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB" DATA_DIR="$ROOT/var/bench-gen"
export DEBUG=0 STATIC_MANIFEST=0 ALLOWED_HOSTS=127.0.0.1 LOG_LEVEL=WARNING
export SECRET_KEY="bench-only-secret-key-0123456789-not-for-any-real-site-abcdef"
export EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend
# As deployed (README): Redis for the sessions (read from it, written through) and the Huey
# queue; its own database number, emptied before the runs.
export REDIS_URL="${BENCH_REDIS_URL:-redis://127.0.0.1:6379/2}"
"$ROOT/.venv/bin/python" -c "import redis, sys; redis.Redis.from_url(sys.argv[1]).flushdb()" \
    "$REDIS_URL"
man="$ROOT/bench/results/manifest_campusdesk_${SIZE}.json"
test -s "$man" || { echo "no $man: run SIZE=$SIZE bash bench/setup_campusdesk.sh first" >&2; exit 1; }
gpid=""
trap '[ -n "$gpid" ] && kill -TERM "$gpid" 2>/dev/null; wait 2>/dev/null || true' EXIT
for rep in $(seq 1 "$REPEATS"); do
  if curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz"; then
    echo "something already answers on 127.0.0.1:$PORT; set PORT" >&2; exit 1
  fi
  (cd "$ROOT" && exec .venv/bin/gunicorn campusdesk.wsgi:application --bind 127.0.0.1:$PORT \
      --workers 2 --worker-class sync --timeout 120 --log-level warning) &
  gpid=$!
  for _ in $(seq 1 100); do
    curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.2
  done
  "$DRV" "$SHARED/drive.py" --adapter "$ROOT/bench/adapters/campusdesk.py" --manifest "$man" \
      --base-url "http://127.0.0.1:$PORT" --plan "$PLAN" --label "campusdesk/${SIZE}/sync2/r${rep}" \
      --seq-offset $((rep * 1000)) --server-pid "$gpid" ${ONLY:+--only "$ONLY"} \
      --out "$RAW/campusdesk_${SIZE}_sync2_r${rep}.json"
  kill -TERM "$gpid"; wait "$gpid" 2>/dev/null || true
  gpid=""
done
