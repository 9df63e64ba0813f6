"""Integrity of the nightly DAG: it parses, has the agreed shape and imports fast."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.dbt import dbt_command
from pipeline.errors import DataError
from pipeline.models import MODELS
from pipeline.night import STEPS
from warehouse.settings import load_settings

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "dags"
DAG_ID = "personalization_nightly"
POOL = "duckdb_writer"


@functools.cache
def dagbag():
    """The DAG folder parsed once, as the DAG processor parses it.

    ``known_pools`` makes a task in any other pool an import error. The DAGs folder
    goes on sys.path as Airflow's DAG processor puts it there.
    """
    from airflow.dag_processing.dagbag import DagBag

    if str(DAGS) not in sys.path:
        sys.path.append(str(DAGS))
    return DagBag(dag_folder=str(DAGS), known_pools={"default_pool", POOL})


def nightly():
    return dagbag().dags[DAG_ID]


def test_no_import_errors() -> None:
    assert dagbag().import_errors == {}


def test_one_dag_per_file_named_after_it() -> None:
    for dag_id, dag in dagbag().dags.items():
        assert Path(dag.fileloc).stem == dag_id
    assert nightly() is not None


def topological_order(upstream: dict[str, set[str]]) -> list[str]:
    """Kahn's algorithm over ``task -> upstream tasks``.

    Raises:
        AssertionError: The graph has a cycle; the message names the tasks on it.
    """
    remaining = {node: set(ups) for node, ups in upstream.items()}
    order: list[str] = []
    while ready := sorted(node for node, ups in remaining.items() if not ups):
        for node in ready:
            order.append(node)
            del remaining[node]
        for ups in remaining.values():
            ups.difference_update(ready)
    assert not remaining, f"cycle among {sorted(remaining)}"
    return order


def graph() -> dict[str, set[str]]:
    return {t.task_id: set(t.upstream_task_ids) for t in nightly().tasks}


def test_cycle_check_catches_a_planted_cycle() -> None:
    assert topological_order({"a": set(), "b": {"a"}, "c": {"b"}}) == ["a", "b", "c"]
    with pytest.raises(AssertionError, match="cycle among"):
        topological_order({"a": set(), "b": {"a", "c"}, "c": {"b"}})


def test_no_cycles() -> None:
    """The built DAG sorts topologically, every task included."""
    assert sorted(topological_order(graph())) == sorted(graph())


def test_one_task_per_step_wired_as_the_step_list_says() -> None:
    dag = nightly()
    assert [t.task_id for t in dag.tasks] == [step.name for step in STEPS]
    for step in STEPS:
        assert set(dag.get_task(step.name).upstream_task_ids) == set(step.upstream), step.name


def test_the_night_runs_in_the_agreed_order() -> None:
    """load, then dbt marts, then every model, then audiences, the audit, publish, and
    the erasures last (earlier folders are rewritten after tonight's is published)."""
    order = topological_order(graph())
    dag = nightly()
    stages = [
        ["resolve_run"],
        ["load_extracts"],
        ["dbt_build_marts"],
        list(MODELS),
        ["dbt_build_audiences"],
        ["audit_exports"],
        ["publish_exports"],
        ["apply_erasures"],
    ]
    assert set(MODELS) <= set(order), "every registered model is a task"
    for before, after in zip(stages, stages[1:], strict=False):
        for later in after:
            ancestors = {t.task_id for t in dag.get_task(later).get_flat_relatives(upstream=True)}
            missing = set(before) - ancestors
            assert not missing, f"{later} does not wait for {sorted(missing)}"


def test_run_settings() -> None:
    dag = nightly()
    assert dag.max_active_runs == 1
    assert dag.catchup is False
    assert dag.params["run_date"] is None
    assert dag.params["retrain"] is False
    assert "### Run date" in dag.doc_md
    assert dag.description and "audience" in dag.description


def test_the_run_date_param_may_be_left_empty_in_the_trigger_and_backfill_forms() -> None:
    """Regression: the form marked run_date required, so the default could not be submitted.

    The UI renders the form from the serialized param schema and validates it with JSON
    Schema; a ``null`` default must validate, a well-formed date too, a malformed one not.
    """
    import jsonschema
    from airflow.serialization.serialized_objects import DagSerialization

    params = dict(DagSerialization.serialize_dag(nightly())["params"])
    schema = params["run_date"]["schema"]["__var"]
    assert params["run_date"]["default"] is None
    assert "null" in schema["type"]
    jsonschema.validate(None, schema)
    jsonschema.validate("", schema)
    jsonschema.validate("2026-03-31", schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate("2026/03/31", schema)
    nightly().params.validate()  # the defaults as a scheduled run resolves them


def served_dag():
    """The DAG as Airflow's API server and scheduler hold it: serialized to JSON and back."""
    from airflow.serialization.serialized_objects import DagSerialization

    return DagSerialization.from_json(DagSerialization.to_json(nightly()))


@pytest.mark.parametrize(
    "conf",
    [None, {}, {"run_date": None}, {"run_date": ""}, {"run_date": "2026-03-31"}],
    ids=["no-conf", "empty-conf", "null", "empty-string", "a-date"],
)
def test_trigger_and_backfill_accept_an_empty_run_date_through_airflows_own_checks(
    conf: dict | None,
) -> None:
    """Regression: the Trigger and Backfill forms could not be submitted with run_date empty.

    Airflow validates a trigger's conf in ``create_dagrun`` and a backfill's in
    ``_validate_backfill_params``, both as the deserialized DAG's params merged with the
    conf (``deep_merge(conf).validate()``); both are called here on the served DAG.
    """
    import datetime as dt

    from airflow.models.backfill import _validate_backfill_params

    dag = served_dag()
    resolved = dag.params.deep_merge(conf).validate()
    assert resolved["run_date"] == (conf or {}).get("run_date")
    day = dt.datetime(2026, 3, 30, tzinfo=dt.UTC)
    _validate_backfill_params(dag, False, day, day + dt.timedelta(days=1), None, dag_run_conf=conf)


@pytest.mark.parametrize("bad", ["2026/03/31", "31-03-2026", "20260331", 20260331])
def test_trigger_and_backfill_refuse_a_malformed_run_date(bad: object) -> None:
    """A malformed date fails Airflow's own param validation, before any task runs."""
    import datetime as dt

    from airflow.exceptions import ParamValidationError
    from airflow.models.backfill import InvalidBackfillConf, _validate_backfill_params

    dag = served_dag()
    with pytest.raises(ParamValidationError, match="run_date"):
        dag.params.deep_merge({"run_date": bad}).validate()
    with pytest.raises(ParamValidationError, match="retrain"):
        dag.params.deep_merge({"retrain": "weekly"}).validate()
    day = dt.datetime(2026, 3, 30, tzinfo=dt.UTC)
    with pytest.raises(InvalidBackfillConf, match="run_date"):
        _validate_backfill_params(
            dag, False, day, day + dt.timedelta(days=1), None, dag_run_conf={"run_date": bad}
        )


def schedule_when_parsed(env: dict[str, str]) -> str:
    """The DAG's schedule as a fresh interpreter parses the DAG file under ``env``."""
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(DAGS)!r})\n"
        "import personalization_nightly as m\n"
        "print(m.personalization_nightly().schedule)\n"
    )
    base = {k: v for k, v in os.environ.items() if k != "PZ_SCHEDULE"}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**base, **env},
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stdout.split("\n")[-2]


def test_schedule_defaults_to_three_in_the_morning_and_follows_pz_schedule() -> None:
    assert schedule_when_parsed({}) == "0 3 * * *"
    assert schedule_when_parsed({"PZ_SCHEDULE": "30 4 * * 1"}) == "30 4 * * 1"


def test_every_task_retries_with_backoff() -> None:
    for t in nightly().tasks:
        assert t.retries >= 1, t.task_id
        assert t.retry_exponential_backoff > 0, t.task_id
        assert t.max_retry_delay is not None, t.task_id


def test_duckdb_tasks_share_the_one_slot_pool() -> None:
    pools = {t.task_id: t.pool for t in nightly().tasks}
    in_pool = {task for task, pool in pools.items() if pool == POOL}
    assert in_pool == {step.name for step in STEPS if step.opens_duckdb}
    assert {"load_extracts", "dbt_build_marts", "audit_exports", *MODELS} <= in_pool


def test_importing_the_dag_file_is_fast() -> None:
    """Regression guard: heavy imports (duckdb, dbt, ml) stay inside the tasks.

    Measured in a fresh interpreter with airflow.sdk already imported, as the DAG
    processor has it; the file itself must add well under a second.
    """
    dag_file = DAGS / f"{DAG_ID}.py"
    code = (
        "import sys, time, importlib.util\n"
        "import airflow.sdk\n"
        f"sys.path.insert(0, {str(DAGS)!r})\n"
        "start = time.perf_counter()\n"
        f"spec = importlib.util.spec_from_file_location('nightly', {str(dag_file)!r})\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "heavy = ('duckdb', 'dbt', 'mlflow', 'pandas', 'sklearn')\n"
        "loaded = [m for m in heavy if m in sys.modules]\n"
        "print(time.perf_counter() - start, ','.join(loaded))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout.split()
    seconds, heavy = float(out[0]), out[1:] or [""]
    assert heavy == [""], f"the DAG file imports {heavy[0]} at parse time"
    assert seconds < 1.0, f"importing the DAG file took {seconds:.2f} s"


# --- the plain functions the tasks call ----------------------------------------------------


def test_dbt_phases(tmp_path: Path) -> None:
    settings = load_settings({"PZ_HOME": str(tmp_path)})
    marts = dbt_command("marts", "2026-03-31", settings)
    audiences = dbt_command("audiences", "2026-03-31", settings)
    after_models = ["path:models/audiences", "path:snapshots", "path:models/marts/history"]
    assert marts[1] == "build" and marts[-4:] == ["--exclude", *after_models]
    assert audiences[-4:] == ["--select", *after_models]
    assert json.loads(marts[marts.index("--vars") + 1]) == {"run_date": "2026-03-31"}
    assert marts[marts.index("--target-path") + 1] == str(tmp_path / "dbt" / "target")
    with pytest.raises(ValueError):
        dbt_command("everything", "2026-03-31", settings)


def test_fail_fast_turns_data_errors_into_no_retry_failures() -> None:
    dagbag()  # puts the DAGs folder on sys.path
    from _common import fail_fast
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException, match="audit"), fail_fast():
        raise DataError("audit failed")
    with pytest.raises(OSError), fail_fast():
        raise OSError("disk full")
