# Stockroom: `make serve` runs the API on localhost, `make test` runs every check CI runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export SAM_CLI_TELEMETRY := 0

# The repository's root, absolute: `sam build` runs the build-* targets below from a scratch copy of each
# function's folder, with this Makefile named by path.
ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

.PHONY: serve test test-unit lint typecheck template pytest bench clean browser docs docs-serve lock build

# Installs come from the locks (requirements/*.lock: exact versions with their hashes), so a clone made
# next month gets today's versions; `make lock` refreshes them. The stamp is newer than the lock once it
# is installed; a refreshed lock reinstalls.
$(VENV)/.installed: pyproject.toml requirements/dev.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python >= 3.11 required"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# The lock names every package (dependencies' extras included), so pip resolves nothing: --no-deps.
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements/dev.lock
	# The project itself, editable, with the locked setuptools (no isolated build fetching the newest).
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(VENV): $(VENV)/.installed

serve: $(VENV)
	$(BIN)/stockroom serve

test: $(VENV) lint typecheck template docs browser build pytest

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

# The unit tier first: a broken rule fails in seconds, before the engine starts. tests/local_runtime
# checks the artifact `make build` made.
pytest: $(VENV) build
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

# The engine's figures, then the import and export targets (each script exits 1 on a missed target).
bench: $(VENV)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/import_bench.py

# Refresh the locks to the newest versions the ranges in pyproject.toml and requirements/*.in allow (then
# `make test`, and commit the locks). The layer's lock is the Lambda platform's (CPython 3.12 on arm64),
# held to the dev lock's versions so that the tests run what is deployed.
lock: $(VENV)
	$(BIN)/uv pip compile --quiet --upgrade --universal --python-version 3.11 --generate-hashes \
		pyproject.toml requirements/build.in --extra dev -o requirements/dev.lock
	$(BIN)/uv pip compile --quiet --upgrade --python-platform aarch64-manylinux2014 --python-version 3.12 \
		--only-binary :all: --generate-hashes -c requirements/dev.lock requirements/layer.in -o requirements/layer.lock

# The deploy artifact, as `sam deploy` takes it (.aws-sam/build). No Docker and no local Python 3.12: each
# function and the layer build with the targets below (BuildMethod: makefile in template.yaml).
build: $(VENV)
	$(BIN)/sam build --template template.yaml

# The layer: the locked dependencies as the Lambda platform's own wheels (CPython 3.12, manylinux aarch64:
# pip picks them by tag, it runs nothing of them), and the engine's package. pip's bytecode would be this
# machine's Python's (useless to 3.12), so none is written; with a python3.12 on PATH, the layer's
# bytecode is compiled by it (unchecked-hash: Lambda's files keep no reliable mtimes, and /opt is read-only,
# so a pyc that had to be checked could never be rewritten). Without one, Lambda compiles each module in
# memory at every cold start.
LAYER_PIP = $(if $(wildcard $(ROOT)/$(BIN)/pip),$(ROOT)/$(BIN)/pip,$(PYTHON) -m pip)
build-StockroomLayer:
	$(LAYER_PIP) install --quiet --require-hashes --no-deps --only-binary=:all: --implementation cp \
		--python-version 3.12 --platform manylinux2014_aarch64 --no-compile \
		--target "$(ARTIFACTS_DIR)/python" -r "$(ROOT)/requirements/layer.lock"
	rm -rf "$(ARTIFACTS_DIR)/python/bin"
	cp -R stockroom "$(ARTIFACTS_DIR)/python/"
	find "$(ARTIFACTS_DIR)/python" -name __pycache__ -type d -prune -exec rm -rf {} +
	@if python3.12 -c '' 2>/dev/null; then \
		python3.12 -m compileall -q -j 0 --invalidation-mode unchecked-hash "$(ARTIFACTS_DIR)/python"; \
	else echo "StockroomLayer: no python3.12 on PATH, so no bytecode (Lambda compiles at import)"; fi

# A function is its app.py (everything else is the layer).
build-%Function:
	cp *.py "$(ARTIFACTS_DIR)/"

clean:
	rm -rf $(VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
