#!/usr/bin/env bash
# Set up the django-helpdesk side of `make bench` on this machine; idempotent: every step is
# skipped when its result is already there.
#
#   SIZE=10k bash bench/setup_helpdesk.sh        # SIZE: 10k, 100k, 1m or a plain number
#
# 1. /opt/bench-helpdesk: virtualenv with "Django>=5.2,<5.3" django-helpdesk gunicorn
#    "psycopg[binary]" (as ../shared/bench/README.md installs it);
# 2. /opt/bench-driver: virtualenv with aiohttp, the load driver's only dependency; `make bench`
#    drives both systems with it, so that both are measured by the same client;
# 3. the `bench` role (LOGIN SUPERUSER, password bench) on the PostgreSQL cluster on
#    127.0.0.1:5432, which the shared site's settings log in as;
# 4. database helpdesk_<SIZE>, migrated, loaded with `manage.py bench_load` (the shared
#    dataset.py) and its manifest in bench/results/manifest_helpdesk_<SIZE>.json.
#
# ../shared/bench is read-only: manage.py runs from there, but nothing is written there.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SHARED="${SHARED:-$ROOT/../shared/bench}"
SITE="$SHARED/helpdesk_site"
SIZE="${SIZE:-100k}"
PYTHON="${PYTHON:-python3}"
HD_VENV="${HD_VENV:-/opt/bench-helpdesk}"
DRV_VENV="${DRV_VENV:-/opt/bench-driver}"
PGHOST=127.0.0.1 PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
export PGHOST PGPORT PGUSER PYTHONDONTWRITEBYTECODE=1
DB="helpdesk_${SIZE}"
MAN="$ROOT/bench/results/manifest_helpdesk_${SIZE}.json"
say() { echo "setup_helpdesk: $*"; }

n_tickets() {  # 10k -> 10000, 1m -> 1000000
  case "$1" in
    *[kK]) echo $((${1%[kK]} * 1000)) ;;
    *[mM]) echo $((${1%[mM]} * 1000000)) ;;
    *) echo "$1" ;;
  esac
}
N="$(n_tickets "$SIZE")"

# 1. the django-helpdesk server
if "$HD_VENV/bin/python" -c "import django, helpdesk, gunicorn, psycopg" 2>/dev/null; then
  say "$HD_VENV already installed"
else
  say "creating $HD_VENV"
  test -x "$HD_VENV/bin/python" || "$PYTHON" -m venv "$HD_VENV"
  "$HD_VENV/bin/pip" install -qq "Django>=5.2,<5.3" django-helpdesk gunicorn "psycopg[binary]"
fi

# 2. the load driver
if "$DRV_VENV/bin/python" -c "import aiohttp" 2>/dev/null; then
  say "$DRV_VENV already installed"
else
  say "creating $DRV_VENV"
  test -x "$DRV_VENV/bin/python" || "$PYTHON" -m venv "$DRV_VENV"
  "$DRV_VENV/bin/pip" install -qq aiohttp
fi

# 3. the role
pg_isready -q || { say "PostgreSQL is not answering on $PGHOST:$PGPORT"; exit 1; }
if [ "$(psql -d postgres -Atc "SELECT 1 FROM pg_roles WHERE rolname = 'bench'")" = 1 ]; then
  say "role bench exists"
else
  say "creating role bench"
  psql -d postgres -qc "CREATE ROLE bench LOGIN SUPERUSER PASSWORD 'bench'"
fi

# 4. the database, its schema, its data and its manifest
if [ "$(psql -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
  say "creating database $DB"
  createdb -O bench "$DB"
fi
manage() { (cd "$SITE" && BENCH_DB="$DB" BENCH_DB_PORT="$PGPORT" "$HD_VENV/bin/python" manage.py "$@"); }
manage migrate --noinput -v 0
loaded="$(psql -d "$DB" -Atc "SELECT count(*) FROM helpdesk_ticket")"
if [ "$loaded" -gt 0 ] && [ -s "$MAN" ] \
   && [ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["n_tickets"])' "$MAN")" = "$N" ]; then
  say "$DB already holds its $N tickets ($loaded now); manifest $MAN"
else
  if [ "$loaded" -gt 0 ]; then
    # a load cut short, or a manifest lost: this database is ours alone, so load it again
    say "$DB holds $loaded tickets but no manifest for $N: recreating it"
    dropdb "$DB"
    createdb -O bench "$DB"
    manage migrate --noinput -v 0
  fi
  say "loading $N tickets into $DB"
  mkdir -p "$(dirname "$MAN")"
  manage bench_load --tickets "$N" --manifest "$MAN.tmp"
  mv "$MAN.tmp" "$MAN"
fi
