# The two commands a newcomer needs are `make demo` and `make test`; both set up the
# virtualenv from uv.lock first, so they work on a fresh clone.

PY := .venv/bin/python
UV := $(shell command -v uv 2>/dev/null || echo .venv-uv/bin/uv)
RUN_DATE ?=
SCALE ?= S

.PHONY: setup demo run test lint bench clean

setup: .venv/.synced

$(UV):
	python3 -m venv .venv-uv && .venv-uv/bin/pip install --quiet uv

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python 3.11
	touch $@

# pytest exits with 5 when it collected no test: that is a failure, not a pass.
test: setup
	@$(PY) -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: no test ran" >&2; exit 1; fi; exit $$status

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

demo: setup
	@echo "make demo is not there yet: the nightly DAG is still being built" >&2; exit 2

run: setup
	@echo "make run is not there yet: the nightly DAG is still being built" >&2; exit 2

bench: setup
	@echo "make bench is not there yet: it needs the nightly DAG" >&2; exit 2

clean:
	rm -rf .venv .venv-uv data
