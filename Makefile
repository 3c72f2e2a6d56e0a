# Stockroom: `make serve` runs the API on localhost, `make test` runs every check CI runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export SAM_CLI_TELEMETRY := 0

.PHONY: serve test test-unit lint typecheck template pytest bench clean browser docs docs-serve

# The stamp is newer than pyproject.toml once its dependencies are installed; editing it reinstalls.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python >= 3.11 required"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

$(VENV): $(VENV)/.installed

serve: $(VENV)
	$(BIN)/stockroom serve

test: $(VENV) lint typecheck template docs browser pytest

lint: $(VENV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Every function has an app.py: explicit package bases name them functions.<name>.app, not all `app`.
typecheck: $(VENV)
	MYPYPATH=shared:local $(BIN)/mypy --explicit-package-bases shared local functions benchmarks

# The fast tier: the core on the in-memory repository, no AWS SDK, no moto (seconds).
test-unit: $(VENV)
	$(BIN)/pytest tests/unit -q

template: $(VENV)
	$(BIN)/sam validate --region us-east-1
	$(BIN)/cfn-lint template.yaml

# The unit tier first: a broken rule fails in seconds, before the engine starts.
pytest: $(VENV)
	$(BIN)/pytest tests/unit -q
	$(BIN)/pytest tests/adapters tests/api tests/local_runtime

# The Swagger UI test drives Debian's Chromium (a browser download is not possible here). Installed once;
# a no-op when present. Without it the test fails rather than skips, so this must succeed.
CHROMIUM := /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }
	@test -x $(CHROMIUM) || { echo "Chromium is missing: apt-get install chromium"; exit 1; }

docs: $(VENV)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir build/site

docs-serve: $(VENV)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

bench: $(VENV)
	@if [ -f benchmarks/run.py ]; then $(BIN)/python benchmarks/run.py; else echo "no benchmarks/run.py yet"; fi

clean:
	rm -rf $(VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
