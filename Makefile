# Every target creates the virtual environment it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

run: $(STAMP)   ## the dashboard on the bundled active-passive topology, simulated
	$(BIN)/regionctl

test: $(STAMP)  ## the whole test suite (includes ruff and mypy)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check regionctl tests bench
	$(BIN)/mypy regionctl

bench: $(STAMP) ## benchmarks print figures; they assert nothing
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/sim_speed.py
	$(BIN)/python bench/tui_bench.py
	$(BIN)/python bench/exporter_scrape.py
	$(BIN)/python bench/blast_speed.py
	$(BIN)/python bench/fidelity.py

fuzz: $(STAMP) ## the simulator's properties with 20x the examples, 1000 mutated bundled files, kills on the sandbox
	REGIONCTL_FUZZ_EXAMPLES=$${EXAMPLES:-4000} $(BIN)/pytest -q tests/test_sim_properties.py --hypothesis-show-statistics
	REGIONCTL_FILE_FUZZ=$${FILES:-1000} $(BIN)/pytest -q -s tests/test_file_fuzz.py
	flock /tmp/regionctl-suite.lock $(BIN)/python -m tests.sandbox_kills

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
