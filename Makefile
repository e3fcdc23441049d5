# Azekia Studio: `make run` starts the app, `make test` runs every test tier.
# Every set-up step lives here, so both work on a fresh machine with only Python 3.11.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
TOOLS := .tools
TOOLS_BIN := $(CURDIR)/$(TOOLS)/node_modules/.bin
NODE_MIN_MAJOR := 22
NODE_PACKAGE := node@22
BUN_PACKAGE := bun@1.4.5
AXE_CORE_PACKAGE := axe-core@4.14.1
AXE_CORE := $(TOOLS)/node_modules/axe-core/axe.min.js
CHROMIUM := /usr/bin/chromium
FFMPEG := /usr/bin/ffmpeg
RSYSLOGD := /usr/sbin/rsyslogd
DOVECOT := /usr/sbin/dovecot
ONLY ?=

export PATH := $(TOOLS_BIN):$(PATH)
export REFLEX_USE_SYSTEM_BUN := 1

.PHONY: run test test-unit test-integration test-e2e lint bench lock clean chromium ffmpeg rsyslog dovecot

run: $(VENV)/.runtime $(TOOLS)/.installed ffmpeg
	$(PY) -m studio_app serve

# Unit and integration tests run on parallel workers (WORKERS=1 runs them in one process); the browser tier
# shares one built app per run, so it runs in one process after them.
WORKERS ?= auto

test: $(VENV)/.dev $(TOOLS)/.installed $(AXE_CORE) chromium ffmpeg rsyslog dovecot
	$(MAKE) --no-print-directory lint
	$(PY) -m pytest -n $(WORKERS) tests/unit tests/integration
	$(PY) -m pytest tests/e2e

test-unit: $(VENV)/.dev ffmpeg
	$(PY) -m pytest -n $(WORKERS) tests/unit

test-integration: $(VENV)/.dev ffmpeg rsyslog dovecot
	$(PY) -m pytest -n $(WORKERS) tests/integration

test-e2e: $(VENV)/.dev $(TOOLS)/.installed $(AXE_CORE) chromium ffmpeg rsyslog
	$(PY) -m pytest tests/e2e

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check studio_app tests bench alembic rxconfig.py
	$(VENV)/bin/lint-imports

bench: $(VENV)/.dev $(TOOLS)/.installed ffmpeg rsyslog
	$(PY) -m bench.run $(ONLY)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Installed from the locks only, every file checked against its hash.
$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --require-hashes -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.txt
	touch $(VENV)/.runtime $@

# Resolve requirements*.in into the locks, from PyPI whatever this machine's pip is configured with; pins
# already in a lock are kept unless an input asks otherwise (UPGRADE="--upgrade" or "--upgrade-package x").
UPGRADE ?=
LOCK := $(VENV)/bin/uv pip compile --no-config --universal --python-version 3.11 --generate-hashes \
	--index-url https://pypi.org/simple --custom-compile-command "make lock" --quiet $(UPGRADE)
lock: $(VENV)/.dev
	$(LOCK) requirements.in -o requirements.txt
	$(LOCK) requirements-dev.in -o requirements-dev.txt

# Reflex 0.10 needs Node >= 22 and bun; bun (and Node when the system's is older) come from the npm registry.
$(TOOLS)/.installed:
	mkdir -p $(TOOLS)
	test -f $(TOOLS)/package.json || echo '{"name": "studio-local-tools", "private": true}' > $(TOOLS)/package.json
	packages="$(BUN_PACKAGE)"; \
	if ! /usr/bin/env -u PATH PATH=/usr/local/bin:/usr/bin:/bin node -e 'process.exit(+process.versions.node.split(".")[0] >= $(NODE_MIN_MAJOR) ? 0 : 1)' 2>/dev/null; then \
		packages="$(NODE_PACKAGE) $$packages"; fi; \
	cd $(TOOLS) && npm install --no-audit --no-fund --silent $$packages
	touch $@

# The browser tests run axe-core in every page they reach (tests/e2e/page_checks.py).
$(AXE_CORE): | $(TOOLS)/.installed
	cd $(TOOLS) && npm install --no-audit --no-fund --silent $(AXE_CORE_PACKAGE)

chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else echo "Chromium is missing: run 'sudo apt-get install -y chromium' (the browser tests need it)"; exit 1; fi; fi

# Media processing runs ffmpeg and ffprobe (Debian's, like Chromium).
ffmpeg:
	@if [ ! -x $(FFMPEG) ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg; \
		else echo "ffmpeg is missing: run 'sudo apt-get install -y ffmpeg' (media processing needs it)"; exit 1; fi; fi

# The log-shipping tests and the log_overhead benchmark ship to Debian's rsyslog (TLS through rsyslog-gnutls).
rsyslog:
	@if [ ! -x $(RSYSLOGD) ] || ! dpkg -s rsyslog-gnutls >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rsyslog rsyslog-gnutls; \
		else echo "rsyslog is missing: run 'sudo apt-get install -y rsyslog rsyslog-gnutls' (the log tests need it)"; exit 1; fi; fi

# The mail-request tests poll a real IMAP server: Debian's dovecot, started by the test (tests/support/dovecot.py).
dovecot:
	@if [ ! -x $(DOVECOT) ] || ! dpkg -s dovecot-imapd >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd; \
		else echo "dovecot is missing: run 'sudo apt-get install -y dovecot-imapd' (the mail-request tests need it)"; exit 1; fi; fi

clean:
	rm -rf $(VENV) $(TOOLS) .web .states
