# Every target creates the virtual environment it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.runtime-stamp
STAMP := $(VENV)/.installed-stamp
PIP := $(BIN)/pip install --disable-pip-version-check --progress-bar on
# A plain path in a .pth (setuptools' compat editable mode), not an import hook: the hook costs every
# regionctl process ~15 ms of start-up (importlib.util, pathlib...) before any of its own code runs.
EDITABLE := --config-settings editable_mode=compat -e
# After installing, regionctl.precompile writes the bytecode and the table of dataclass methods that
# a first start-up would otherwise compile (pip compiles an installed wheel, never an editable tree).

.PHONY: run test lint bench fuzz clean

# `make run` needs only what the dashboard imports: no test tools, and pip shows what it fetches.
$(RUN_STAMP): pyproject.toml
	@echo "make run: installing regionctl and its runtime dependencies into $(VENV) (once; later runs start at once)"
	$(PYTHON) -m venv $(VENV)
	$(PIP) $(EDITABLE) .
	$(BIN)/python -m regionctl.precompile
	touch $(RUN_STAMP)

# The tests add pytest, hypothesis, ruff, mypy... on top (and so cover `make run` too).
$(STAMP): pyproject.toml
	@echo "make test: installing regionctl with its test extras into $(VENV) (once)"
	$(PYTHON) -m venv $(VENV)
	$(PIP) $(EDITABLE) '.[test]'
	$(BIN)/python -m regionctl.precompile
	touch $(STAMP) $(RUN_STAMP)

run: $(RUN_STAMP)   ## the dashboard on the bundled active-passive topology, simulated
	$(BIN)/regionctl

# scripts/system-packages installs what the real-component tests need when it can (root, apt-get) and
# says so in one line; where it cannot, those tests skip and the run's last line says how to enable them.
test: $(STAMP)  ## the whole test suite (includes ruff and mypy)
	@scripts/system-packages
	$(BIN)/pytest -q -n 2 --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check regionctl tests bench
	$(BIN)/mypy regionctl
	$(BIN)/lint-imports

bench: $(STAMP) ## benchmarks print figures; they assert nothing
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/sim_speed.py
	$(BIN)/python bench/tui_bench.py
	$(BIN)/python bench/history_cost.py
	$(BIN)/python bench/exporter_scrape.py
	$(BIN)/python bench/blast_speed.py
	$(BIN)/python bench/fidelity.py
	$(BIN)/python bench/check_speed.py
	$(BIN)/python bench/explore.py

fuzz: $(STAMP) ## the simulator's properties with 20x the examples, 1000 mutated bundled files, kills on the sandbox
	REGIONCTL_FUZZ_EXAMPLES=$${EXAMPLES:-4000} $(BIN)/pytest -q tests/test_sim_properties.py --hypothesis-show-statistics
	REGIONCTL_FILE_FUZZ=$${FILES:-1000} $(BIN)/pytest -q -s tests/test_file_fuzz.py
	flock /tmp/regionctl-suite.lock $(BIN)/python -m tests.sandbox_kills

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
