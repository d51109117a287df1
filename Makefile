# `make run` and `make test` set themselves up: a virtual environment inside the repo, then the job.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DATA ?= ./solnet-data
LISTEN ?= 127.0.0.1:8470

BROWSER_STAMP := $(VENV)/.browser-stamp

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The browser tests drive Debian's Chromium through Playwright (never `playwright install`: no browser downloads).
# A Bengali font, so the screenshots of the Bengali page show its letters (Arabic and Latin come with Chromium's fonts).
$(BROWSER_STAMP): $(STAMP)
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)
	fc-list | grep -qi bengali || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y fonts-lohit-beng-bengali)
	touch $(BROWSER_STAMP)

run: $(STAMP)
	$(BIN)/solnet run --data $(DATA) --listen $(LISTEN)

test: $(STAMP) $(BROWSER_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python bench/events.py
	$(BIN)/python bench/store.py
	$(BIN)/python bench/sync.py
	$(BIN)/python bench/audit.py

clean:
	rm -rf $(VENV) .pytest_cache
