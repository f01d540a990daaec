# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_COUNT ?= 5000

VENDOR := src/clearway/web/static/vendor
NPM_DIR := src/clearway/web/vendor
# The tools the contract tests run on the OpenAPI document (tests/api/test_generated_client.py,
# tests/api/test_openapi_lint.py): installed here, so that nothing is downloaded while tests run.
CLIENT_GENERATOR := $(VENV)/tools/openapi-python-client
LINT_DIR := tools/openapi-lint

.PHONY: run test lint typecheck unit unit-postgres bench install clean browser postman

$(STAMP): pyproject.toml constraints.txt
	@# Debian splits venv out of the interpreter; install it when it is missing (root, as on CI).
	@$(PYTHON) -c "import ensurepip" 2>/dev/null || (apt-get update -qq && apt-get install -y -qq python3.11-venv)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# The pages' JavaScript (htmx, Chart.js) and the API docs' Swagger UI come from the npm registry at the
# versions (and integrity hashes) of the lock file and are served by the app itself: no page loads
# anything from a CDN. npm ci also installs axe-core (a development dependency), which the page tests run
# from node_modules: it is not copied, so never served.
$(VENDOR)/.installed: $(NPM_DIR)/package.json $(NPM_DIR)/package-lock.json
	npm ci --prefix $(NPM_DIR) --no-audit --no-fund --ignore-scripts --loglevel=error
	mkdir -p $(VENDOR)
	cp $(NPM_DIR)/node_modules/htmx.org/dist/htmx.min.js $(NPM_DIR)/node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)/
	cp $(NPM_DIR)/node_modules/swagger-ui-dist/swagger-ui-bundle.js $(NPM_DIR)/node_modules/swagger-ui-dist/swagger-ui.css $(VENDOR)/
	touch $@

# openapi-python-client pins typer below the project's own, so it has a virtualenv of its own.
$(CLIENT_GENERATOR)/.installed: tools/openapi-python-client/requirements.txt $(STAMP)
	$(PYTHON) -m venv $(CLIENT_GENERATOR)
	$(CLIENT_GENERATOR)/bin/pip install --quiet -r tools/openapi-python-client/requirements.txt
	touch $@

# Redocly CLI, the OpenAPI linter, and Postman's converter, at the versions (and integrity hashes) of
# their lock file.
$(LINT_DIR)/node_modules/.installed: $(LINT_DIR)/package.json $(LINT_DIR)/package-lock.json
	npm ci --prefix $(LINT_DIR) --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

install: $(STAMP) $(VENDOR)/.installed $(CLIENT_GENERATOR)/.installed $(LINT_DIR)/node_modules/.installed

## make postman: the operators' Postman collection (v2.1), from the operator and public part of the document
postman: install
	mkdir -p var
	$(BIN)/clearway openapi --audience operators --audience public --out var/openapi-operators.json
	$(LINT_DIR)/node_modules/.bin/openapi2postmanv2 -s var/openapi-operators.json -o var/clearway-operators.postman_collection.json -p -O folderStrategy=Tags
	@echo "wrote var/clearway-operators.postman_collection.json"

## browser: Debian's Chromium for the browser tests (Playwright drives it; nothing is downloaded by Playwright)
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

## make run: install, create the SQLite database, load demo data, serve on http://127.0.0.1:8000
run: install
	$(BIN)/clearway db upgrade
	@# HMRC's vague descriptions (data/reference, see NOTICE) for the data-quality check.
	$(BIN)/clearway risk import-vague-terms data/reference/hmrc-fpo/vague_terms.csv --patterns data/reference/hmrc-fpo/vague_terms_patterns.txt
	@# A targeting model trained on a simulated labelled history, so the demo traffic is scored by it.
	@test -f var/model/manifest.json || $(BIN)/clearway risk train --simulate 60000 --days 84
	@# The HS classification assistant (docs/classification.md), trained from data/reference: /classify,
	@# POST /v1/classifications and the pipeline's check of declared codes load it from var/hs-model.
	@test -f var/hs-model/manifest.json || $(BIN)/clearway hs train
	$(BIN)/clearway demo --count $(DEMO_COUNT)
	$(BIN)/clearway serve --host $(HOST) --port $(PORT)

## make test: lint, type-check, then the whole suite on SQLite and (when it answers) the tests that use
## the database on PostgreSQL (tests/conftest.py deselects the others there). One pass after the other,
## each on TEST_WORKERS pytest-xdist workers (a core each; a test module stays on one worker, so its
## module fixtures are built once); on PostgreSQL each worker has its own database (tests/conftest.py).
## TEST_WORKERS=0 runs a pass in this one process.
TEST_WORKERS ?= 2
PYTEST_WORKERS := $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)
test: lint typecheck browser unit unit-postgres

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: install
	@echo "== test suite on SQLite =="
	$(BIN)/pytest -q $(PYTEST_WORKERS)

unit-postgres: install
	@if $(BIN)/python -m clearway.store.probe "$(PG_TEST_URL)"; then \
		echo "== test suite on PostgreSQL ($(PG_TEST_URL)) =="; \
		CLEARWAY_TEST_DATABASE_URL="$(PG_TEST_URL)" $(BIN)/pytest -q $(PYTEST_WORKERS) -o cache_dir=.pytest_cache/postgresql; \
	else \
		echo "== PostgreSQL pass SKIPPED: no server answers at $(PG_TEST_URL) =="; \
	fi

bench: $(STAMP)
	$(BIN)/python bench/bulk_pipeline.py
	$(BIN)/python bench/http_submit.py
	$(BIN)/python bench/learning.py
	$(BIN)/python bench/messages.py
	$(BIN)/python bench/hs.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache $(VENDOR) $(NPM_DIR)/node_modules $(LINT_DIR)/node_modules
