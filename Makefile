# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed

.PHONY: demo test lint typecheck pytest install clean bench-screening bench-policy bench-serving bench-transparency

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# the benchmarks also need the peers they measure against (the `bench` extra)
$(BENCH_STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,bench]'
	touch $(BENCH_STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/adwarden --db "$${ADWARDEN_DATABASE_URL:-sqlite:///adwarden-demo.db}" demo --replace

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy --strict src

# on every core (two here): each worker takes whole files, so a module's fixtures are made once.
# The property tests over the OpenAPI spec run on their own: under the workers, schemathesis
# reports 16 of their 320 cases and drops the rest without a word.
PROPERTIES := tests/integration/test_api_properties.py
pytest: $(STAMP)
	$(BIN)/pytest -n auto --dist loadfile --ignore=$(PROPERTIES)
	$(BIN)/pytest $(PROPERTIES)

test: lint typecheck pytest

bench-screening: $(BENCH_STAMP)
	$(BIN)/python bench/screening.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis adwarden-demo.db* adwarden-data test-results

bench-policy: $(BENCH_STAMP)
	$(BIN)/python bench/policy.py

# wrk, the HTTP load generator, comes from Debian
bench-serving: $(BENCH_STAMP)
	command -v wrk >/dev/null 2>&1 || (apt-get update -q && apt-get install -y -q --no-install-recommends wrk)
	$(BIN)/python bench/serving.py

# search, export and proof figures over a million generated ads and decisions (~15 minutes)
bench-transparency: $(BENCH_STAMP)
	$(BIN)/python bench/transparency.py
