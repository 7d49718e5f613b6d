#!/usr/bin/env bash
# Run django-helpdesk under ../shared/bench/drive.py with the shared adapter, like
# ../shared/bench/run_helpdesk.sh but on the 5432 cluster and writing only under bench/results/:
# for each repeat, empty the write benchmark's tickets (bench_reset), start gunicorn (2 sync
# workers), run the plan, record the workers' memory, stop gunicorn.
#
#   SIZE=100k REPEATS=3 bash bench/run_helpdesk.sh
#
# Needs bench/setup_helpdesk.sh done for SIZE (database helpdesk_<SIZE>, its manifest,
# /opt/bench-helpdesk, /opt/bench-driver). Runs are labelled helpdesk/SIZE/sync2/rN, raw JSON
# in bench/results/raw/helpdesk_<SIZE>_sync2_rN.json.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SHARED="${SHARED:-$ROOT/../shared/bench}"
SITE="$SHARED/helpdesk_site"
SIZE="${SIZE:-100k}"
REPEATS="${REPEATS:-3}"
PLAN="${PLAN:-default}"
PORT="${PORT:-8124}"
HD_VENV="${HD_VENV:-/opt/bench-helpdesk}"
DRV="${DRV:-/opt/bench-driver/bin/python}"
RAW="${RAW:-$ROOT/bench/results/raw}"
mkdir -p "$RAW"
export BENCH_DB="helpdesk_${SIZE}" BENCH_DB_PORT="${PGPORT:-5432}" PYTHONDONTWRITEBYTECODE=1
man="$ROOT/bench/results/manifest_helpdesk_${SIZE}.json"
test -s "$man" || { echo "no $man: run SIZE=$SIZE bash bench/setup_helpdesk.sh first" >&2; exit 1; }
gpid=""
trap '[ -n "$gpid" ] && kill -TERM "$gpid" 2>/dev/null; wait 2>/dev/null || true' EXIT
for rep in $(seq 1 "$REPEATS"); do
  if curl -fs -o /dev/null "http://127.0.0.1:$PORT/bench/ok"; then
    echo "something already answers on 127.0.0.1:$PORT; set PORT" >&2; exit 1
  fi
  (cd "$SITE" && "$HD_VENV/bin/python" manage.py bench_reset >/dev/null)
  (cd "$SITE" && exec "$HD_VENV/bin/gunicorn" benchsite.wsgi:application \
      --bind 127.0.0.1:$PORT --workers 2 --worker-class sync --timeout 120 \
      --log-level warning) &
  gpid=$!
  for _ in $(seq 1 100); do
    curl -fs -o /dev/null "http://127.0.0.1:$PORT/bench/ok" && break; sleep 0.2
  done
  "$DRV" "$SHARED/drive.py" --adapter "$SHARED/adapters/helpdesk.py" --manifest "$man" \
      --base-url "http://127.0.0.1:$PORT" --plan "$PLAN" --label "helpdesk/${SIZE}/sync2/r${rep}" \
      --seq-offset $((rep * 1000)) --server-pid "$gpid" ${ONLY:+--only "$ONLY"} \
      --out "$RAW/helpdesk_${SIZE}_sync2_r${rep}.json"
  kill -TERM "$gpid"; wait "$gpid" 2>/dev/null || true
  gpid=""
done
(cd "$SITE" && "$HD_VENV/bin/python" manage.py bench_reset >/dev/null)
