# The two commands of the Quick start: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Running needs only the runtime dependencies; the tests add the dev ones on top.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-fast lint install clean histories bench browser fuzz messages pdf-libs

$(RUN_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

$(DEV_STAMP): $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(DEV_STAMP)

install: $(DEV_STAMP)

## Run the whole stack (Temporal dev server, worker, API) on this machine.
run: $(RUN_STAMP) pdf-libs
	$(BIN)/exchange dev

## Lint, type-check and run every test.
test: lint browser pdf-libs
	$(BIN)/pytest

## The tests that need no uvicorn and no Temporal dev server, to run between edits (< 1 min).
test-fast: $(DEV_STAMP)
	$(BIN)/pytest -q tests/fast tests/marc tests/test_replay.py tests/test_web_i18n.py tests/test_compose.py

## Fuzz the API at length, by hand (not in `make test`): 200 examples per operation with a
## staff and a partner key, then the stateful phase, against a stack the test starts.
FUZZ_SEED ?= $(shell date +%s)
fuzz: $(DEV_STAMP)
	@echo "EXCHANGE_FUZZ_SEED=$(FUZZ_SEED)"
	EXCHANGE_FUZZ_EXAMPLES=200 EXCHANGE_FUZZ_SEED=$(FUZZ_SEED) \
		$(BIN)/pytest -q -p no:cacheprovider tests/test_openapi_fuzz.py

## Pango and a font with Cyrillic, which WeasyPrint needs for the PDF lists (installed once,
## with apt, when missing; nothing is fetched where they are present, so this works offline).
pdf-libs:
	@{ { ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null | grep -q libpangoft2-1.0.so.0 && fc-list 2>/dev/null | grep -q "DejaVu Sans"; } || { \
		echo "installing Debian's pango and DejaVu fonts for the PDF lists"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
			libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null; }

## Debian's Chromium, which the browser tests drive (installed once, when missing).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

## Extract the texts people read (code and templates) and merge them into each language's
## catalog, services/exchange/locale/<lang>/LC_MESSAGES/messages.po; then translate the new ones.
messages: $(RUN_STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k ngettext:1,2 --no-location --sort-output \
		-o $(VENV)/messages.pot . >/dev/null
	$(BIN)/pybabel update -i $(VENV)/messages.pot -d services/exchange/locale -D messages \
		--no-fuzzy-matching --ignore-obsolete -w 100

## Benchmarks (see README for the figures).
bench: $(DEV_STAMP)
	$(BIN)/python -m bench.exchanges

## Record new workflow histories for the replay tests.
histories: $(DEV_STAMP)
	$(BIN)/python -m tests.record_histories

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
