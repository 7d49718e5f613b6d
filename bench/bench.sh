#!/usr/bin/env bash
# `make bench`: campusdesk and django-helpdesk one after the other on this machine, same
# driver, plan and repeats, then their figures into bench/RESULTS.md.
#
#   SIZE=100k REPEATS=3 PLAN=default CD_DB=cd_bench_100k bash bench/bench.sh
#
# 1. bench/setup_campusdesk.sh and bench/setup_helpdesk.sh (each skips what is there);
# 2. earlier raw files of this SIZE are moved to bench/results/raw/previous/<time>/, so the
#    medians are of this run's repeats only;
# 3. bench/run_campusdesk.sh, then bench/run_helpdesk.sh (2 sync gunicorn workers each);
# 4. bench/summarize_both.py writes this SIZE's section of bench/RESULTS.md, and
#    ../shared/bench/summarize.py every raw file's tables to bench/results/summary.md.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SHARED="${SHARED:-$ROOT/../shared/bench}"
SIZE="${SIZE:-100k}"
REPEATS="${REPEATS:-3}"
PLAN="${PLAN:-default}"
CD_DB="${CD_DB:-cd_bench_${SIZE}}"
RAW="$ROOT/bench/results/raw"
DRV=/opt/bench-driver/bin/python
export SIZE REPEATS PLAN
cd "$ROOT"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
t0=$(date +%s)
echo "== make bench SIZE=$SIZE REPEATS=$REPEATS PLAN=$PLAN CD_DB=$CD_DB (load $load_start)"

echo "== set-up"
CD_DB="$CD_DB" bash bench/setup_campusdesk.sh
bash bench/setup_helpdesk.sh
t1=$(date +%s)

mkdir -p "$RAW"
old=$(ls "$RAW"/campusdesk_"${SIZE}"_sync2_r*.json "$RAW"/helpdesk_"${SIZE}"_sync2_r*.json 2>/dev/null || true)
if [ -n "$old" ]; then
  keep="$RAW/previous/$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -p "$keep"
  mv $old "$keep/"
  echo "== earlier raw files of $SIZE moved to ${keep#$ROOT/}"
fi

echo "== campusdesk"
DB="$CD_DB" DRV="$DRV" bash bench/run_campusdesk.sh
t2=$(date +%s)
echo "== django-helpdesk"
bash bench/run_helpdesk.sh
t3=$(date +%s)

echo "== campusdesk's own scenarios (in-process)"
DATABASE_URL="postgres://${PGUSER:-postgres}@127.0.0.1:${PGPORT:-5432}/$CD_DB" \
  DATA_DIR="$ROOT/var/bench-gen" DEBUG=0 STATIC_MANIFEST=0 SECRET_KEY=bench-only \
  .venv/bin/python bench/own_scenarios.py --size "$SIZE" \
  --manifest "bench/results/manifest_campusdesk_${SIZE}.json"
t4=$(date +%s)

echo "== summary"
.venv/bin/python bench/summarize_both.py --size "$SIZE" --repeats "$REPEATS" --plan "$PLAN" \
    --cd-db "$CD_DB" --load-start "$load_start" \
    --timing "setup=$((t1 - t0)),campusdesk=$((t2 - t1)),helpdesk=$((t3 - t2)),total=$((t4 - t0))"
"$DRV" "$SHARED/summarize.py" "$RAW" > bench/results/summary.md
echo "== done in $(($(date +%s) - t0)) s: bench/RESULTS.md (section $SIZE), bench/results/summary.md"
