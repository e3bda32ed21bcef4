# Every target installs what it needs into .venv from the pinned requirements.lock.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast fuzz lab bench-accuracy bench-speed bench-loaders sample lint typecheck clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: $(STAMP)  ## run the monthly reconciliation on the bundled sample month
	$(BIN)/reconkit demo --out out/demo

test: $(STAMP)  ## the whole test suite, slow and browser tests included
	$(BIN)/python -m pytest -n 2 -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q -m "not slow and not browser"

fuzz: $(STAMP)  ## parser fuzz tests with the long hypothesis profile (CI runs a bounded one)
	FUZZ_EXAMPLES=3000 $(BIN)/python -m pytest -q tests/test_fuzz_*.py

lab: $(STAMP)  ## open the notebooks in JupyterLab
	$(BIN)/jupyter lab notebooks/

sample: $(STAMP)  ## regenerate the committed sample month (deterministic)
	$(BIN)/python -m data_samples.generate --out data_samples/sample --clients 300 --seed 7 --month 2026-10
	$(BIN)/python -m data_samples.run_configs data_samples/sample 2026-10

bench-accuracy: $(STAMP)  ## 3 seeds x 1000 clients at benchmark volume
	$(BIN)/python benchmarks/accuracy.py --seeds 1 2 3 --clients 1000 --volume bench

bench-speed: $(STAMP)  ## native months at 10k/100k/1M invoices, per-step table (SIZES=10k,100k)
	$(BIN)/python benchmarks/speed.py $(if $(SIZES),--sizes $(SIZES),)

bench-loaders: $(STAMP)
	$(BIN)/python benchmarks/bench_fec.py
	$(BIN)/python benchmarks/bench_camt053.py

lint: $(STAMP)  ## ruff, then the type check
	$(BIN)/ruff check reconkit tests data_samples benchmarks
	$(BIN)/mypy reconkit
	$(BIN)/lint-imports

typecheck: $(STAMP)  ## mypy on the library (settings in pyproject.toml)
	$(BIN)/mypy reconkit
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache
