# campusdesk: `make run` serves the demo, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DATA_DIR ?= var
STAMP := $(VENV)/.installed

.PHONY: install sysdeps run test lint typecheck deploycheck pytest messages clean bench screenshots

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "campusdesk needs Python 3.11 or newer: make PYTHON=python3.11 ..."; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The demo's probes check `campusdesk demo_target` on loopback: only here are loopback
# targets allowed and the demo's own CA trusted (never a default of the settings).
DEMO_PROBES := OUTBOUND_ALLOW_NETWORKS=127.0.0.0/8 PROBE_CA_FILE=$(abspath $(DATA_DIR))/demo-target/ca.pem

run: install
	DEBUG=1 DATA_DIR=$(DATA_DIR) $(BIN)/campusdesk migrate --noinput
	DEBUG=1 DATA_DIR=$(DATA_DIR) $(DEMO_PROBES) $(BIN)/campusdesk demo
	DEBUG=1 DATA_DIR=$(DATA_DIR) $(BIN)/campusdesk demo_target & target=$$!; \
	  trap 'kill $$target 2>/dev/null' EXIT INT TERM; \
	  DEBUG=1 DATA_DIR=$(DATA_DIR) $(DEMO_PROBES) \
	  ALLOWED_HOSTS="$${ALLOWED_HOSTS:-127.0.0.1,localhost,$(HOST)}" \
	  $(BIN)/campusdesk serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	DEBUG=1 DATA_DIR=var/test $(BIN)/mypy

# Production-like settings must pass Django's deployment checklist.
deploycheck: install
	DEBUG=0 DATA_DIR=var/test SECRET_KEY=deploy-check-$$(date +%s%N)-not-a-real-secret-key-0123456789abcdef \
	  ALLOWED_HOSTS=desk.example.edu.cn HTTPS=1 \
	  $(BIN)/campusdesk check --deploy --fail-level WARNING
	DEBUG=1 DATA_DIR=var/test $(BIN)/campusdesk makemigrations --check --dry-run
	DEBUG=1 DATA_DIR=var/test $(BIN)/campusdesk spectacular --validate --fail-on-warn --file /dev/null

# Debian packages the tests use (Chromium, poppler, a CJK font, Dovecot): installed when
# missing if run as root, otherwise the apt-get line to run is printed and make stops.
sysdeps:
	bash tools/sysdeps.sh

pytest: install sysdeps
	DATA_DIR=var/test $(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck deploycheck pytest

# Rebuild the Chinese catalog after changing visible strings (needs GNU gettext):
# new strings get their translation in tools/zh_hans.json; the compiled .mo is committed.
messages: install
	cd src/campusdesk && DEBUG=1 DATA_DIR=../../var ../../$(BIN)/campusdesk makemessages -l zh_Hans --no-obsolete --no-location
	$(BIN)/python tools/fill_po.py
	cd src/campusdesk && DEBUG=1 DATA_DIR=../../var ../../$(BIN)/campusdesk compilemessages

# campusdesk and django-helpdesk one after the other on this machine (PostgreSQL on
# 127.0.0.1:5432, django-helpdesk in /opt/bench-helpdesk): figures into bench/RESULTS.md.
# PLAN=smoke for a quick check; CD_DB=<database> to measure an existing campusdesk database.
SIZE ?= 100k
REPEATS ?= 3
PLAN ?= default
CD_DB ?= cd_bench_$(SIZE)
bench: install
	SIZE=$(SIZE) REPEATS=$(REPEATS) PLAN=$(PLAN) CD_DB=$(CD_DB) bash bench/bench.sh

# The README's screenshots (docs/screenshots/): the demo on a throwaway SQLite data directory,
# served on a free loopback port, photographed on a laptop and a phone with Debian's Chromium.
screenshots: install sysdeps
	$(BIN)/python tools/screenshots.py

clean:
	rm -rf $(VENV) var build src/*.egg-info
