"""Erasure in a local MLflow store: models forget, text artifacts are scrubbed, and a
store that still names the person fails the step."""

from __future__ import annotations

import json
from pathlib import Path

import cloudpickle
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from ml.privacy import ScrubError, scrub_store
from ml.recs.model import RecsModel, make_recommender
from ml.tracking import _WrappedModel, example_without_people


def _store(tmp_path: Path) -> tuple[str, Path]:
    root = tmp_path / "mlflow"
    artifacts = root / "artifacts" / "recommendations" / "models" / "m-1" / "artifacts"
    artifacts.mkdir(parents=True)
    return f"sqlite:///{root / 'mlflow.db'}", artifacts


def test_the_store_is_scrubbed_of_the_people(tmp_path: Path) -> None:
    uri, artifacts = _store(tmp_path)
    matrix = sp.csr_matrix(np.eye(4, dtype=np.float32))
    ids = np.array(["p_gone", "p_b", "p_c", "p_d"], dtype=object)
    model = RecsModel(make_recommender("item_knn").fit(matrix), ids, np.arange(4))
    (artifacts / "python_model.pkl").write_bytes(cloudpickle.dumps(_WrappedModel(model)))
    (artifacts / "input_example.json").write_text(json.dumps({"person_id": ["p_gone", "p_b"]}))
    (artifacts / "MLmodel").write_text("flavors: {}\n")
    counts = scrub_store(uri, {"p_gone"})
    assert counts == {"models_scrubbed": 1, "text_artifacts_scrubbed": 1}
    restored = cloudpickle.loads((artifacts / "python_model.pkl").read_bytes()).model
    assert list(restored.user_ids) == ["", "p_b", "p_c", "p_d"]
    assert json.loads((artifacts / "input_example.json").read_text()) == {
        "person_id": ["erased", "p_b"]
    }
    assert scrub_store(uri, {"p_gone"}) == {"models_scrubbed": 0, "text_artifacts_scrubbed": 0}


def test_an_artifact_that_cannot_forget_fails_the_erasure(tmp_path: Path) -> None:
    uri, artifacts = _store(tmp_path)
    (artifacts / "python_model.pkl").write_bytes(cloudpickle.dumps({"ids": ["p_gone"]}))
    with pytest.raises(ScrubError, match="still name an erased person"):
        scrub_store(uri, {"p_gone"})


def test_a_tracking_server_is_not_scrubbed_and_says_so() -> None:
    assert scrub_store("http://mlflow.example:5000", {"p_gone"}) == {"not_local": 1}


def test_input_examples_name_nobody() -> None:
    frame = pd.DataFrame({"person_id": ["p_1", "p_2"], "recency": [3, 4]})
    example = example_without_people(frame)
    assert example["person_id"].tolist() == ["example-0", "example-1"]
    assert example["recency"].tolist() == [3, 4]
    assert frame["person_id"].tolist() == ["p_1", "p_2"]
