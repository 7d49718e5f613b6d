#!/usr/bin/env bash
# Set up campusdesk's side of `make bench`; idempotent: skipped when already there.
#
#   SIZE=10k bash bench/setup_campusdesk.sh          # database cd_bench_10k
#   SIZE=100k CD_DB=cd_bench_gen bash bench/setup_campusdesk.sh   # an existing database
#
# Creates database CD_DB (default cd_bench_<SIZE>) on 127.0.0.1:5432 when missing, migrates
# it, loads it with `python -m bench.gen --tickets N --force` when it has no tickets, VACUUM
# ANALYZE, and writes bench/results/manifest_campusdesk_<SIZE>.json (bench/manifest.py)
# unless that manifest was already written from CD_DB (recorded beside it in .db).
# A database that already has tickets is only read, never generated into again.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SIZE="${SIZE:-100k}"
CD_DB="${CD_DB:-cd_bench_${SIZE}}"
PGHOST=127.0.0.1 PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
export PGHOST PGPORT PGUSER
MAN="$ROOT/bench/results/manifest_campusdesk_${SIZE}.json"
say() { echo "setup_campusdesk: $*"; }
case "$SIZE" in
  *[kK]) N=$((${SIZE%[kK]} * 1000)) ;;
  *[mM]) N=$((${SIZE%[mM]} * 1000000)) ;;
  *) N="$SIZE" ;;
esac
export DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$CD_DB" DATA_DIR="$ROOT/var/bench-gen"
export DEBUG=1 LOG_LEVEL=WARNING
cd "$ROOT"

pg_isready -q || { say "PostgreSQL is not answering on $PGHOST:$PGPORT"; exit 1; }
if [ "$(psql -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$CD_DB'")" != 1 ]; then
  say "creating database $CD_DB"
  createdb "$CD_DB"
fi
.venv/bin/campusdesk migrate --noinput -v 0
have="$(psql -d "$CD_DB" -Atc "SELECT count(*) FROM tickets_ticket")"
if [ "$have" -eq 0 ]; then
  say "generating $N tickets into $CD_DB"
  rm -f "$MAN.db"
  .venv/bin/python -m bench.gen --tickets "$N" --force
  psql -d "$CD_DB" -qc "VACUUM ANALYZE"
elif [ "$have" -lt "$N" ] || [ "$have" -ge $((2 * N)) ]; then
  # (the create scenarios add a few hundred tickets a run, so a few more than N is fine)
  say "$CD_DB has $have tickets, not the $N of SIZE=$SIZE: pick another CD_DB (or drop it if it is yours)"
  exit 1
else
  say "$CD_DB already has $have tickets"
fi
if [ -s "$MAN" ] && [ "$(cat "$MAN.db" 2>/dev/null)" = "$CD_DB" ]; then
  say "manifest $MAN is $CD_DB's"
else
  say "writing $MAN"
  .venv/bin/python bench/manifest.py --out "$MAN.tmp" >/dev/null
  mv "$MAN.tmp" "$MAN"
  echo "$CD_DB" > "$MAN.db"
fi
