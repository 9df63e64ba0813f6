"""Erasure in the MLflow store: no artifact names an erased person.

Input examples carry no person ids (:func:`ml.tracking.example_without_people`), but
a store written before that, and models that keep per-person state (the
recommendations model knows every person it was fitted on), would. :func:`scrub_store`
walks every artifact of a local store (SQLite or file, the default) and

- removes the people from each pickled model that can forget (``forget(person_ids)``),
  written back in place;
- replaces their ids in text artifacts (JSON, YAML, CSV, text) by ``erased``;
- then reads every artifact's bytes again and fails if any id is still there, so an
  erasure is never recorded as done while the store still names the person.

Parameters, metrics and tags never hold person ids; datasets are logged by digest and
schema only.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

import cloudpickle

from ml.tracking import artifact_root

log = logging.getLogger(__name__)

_TEXT_SUFFIXES = (".json", ".yaml", ".yml", ".csv", ".txt", ".md")
_MODEL_FILE = "python_model.pkl"


class ScrubError(RuntimeError):
    """An artifact still names an erased person after scrubbing."""


def _replace_file(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.scrub")
    tmp.write_bytes(data)
    os.chmod(tmp, path.stat().st_mode & 0o777)
    os.replace(tmp, path)


def _forget_in_model(path: Path, person_ids: set[str]) -> int:
    wrapped = cloudpickle.loads(path.read_bytes())
    model = getattr(wrapped, "model", wrapped)
    forget = getattr(model, "forget", None)
    if forget is None:
        return 0
    forgotten = forget(person_ids)
    if forgotten:
        _replace_file(path, cloudpickle.dumps(wrapped))
    return forgotten


def scrub_store(tracking_uri: str, person_ids: Iterable[str]) -> dict[str, int]:
    """Remove every trace of ``person_ids`` from the artifacts of a local MLflow store.

    Args:
        tracking_uri: The store (``MLFLOW_TRACKING_URI``).
        person_ids: Every id the erased people have had.

    Returns:
        ``models_scrubbed`` and ``text_artifacts_scrubbed`` (files changed); with a
        tracking server, ``not_local: 1`` and nothing changed (its artifacts are the
        server's to clean; the log says so).

    Raises:
        ScrubError: An artifact still holds one of the ids afterwards.
    """
    ids = {i for i in person_ids if i}
    root = artifact_root(tracking_uri)
    if root is None:
        log.warning("MLflow store %s is not local: its artifacts were not scrubbed", tracking_uri)
        return {"not_local": 1}
    counts = {"models_scrubbed": 0, "text_artifacts_scrubbed": 0}
    if not ids or not root.is_dir():
        return counts
    # numpy keeps fixed-width strings as UTF-32: look for both spellings.
    needles = [i.encode(enc) for i in sorted(ids) for enc in ("utf-8", "utf-32-le")]
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if not any(n in data for n in needles):
            continue
        if path.name == _MODEL_FILE:
            counts["models_scrubbed"] += bool(_forget_in_model(path, ids))
        elif path.suffix in _TEXT_SUFFIXES:
            for person_id in sorted(ids):
                data = data.replace(person_id.encode(), b"erased")
            _replace_file(path, data)
            counts["text_artifacts_scrubbed"] += 1
    left = [
        str(p.relative_to(root))
        for p in sorted(root.rglob("*"))
        if p.is_file() and any(n in p.read_bytes() for n in needles)
    ]
    if left:
        raise ScrubError(f"MLflow artifacts still name an erased person: {', '.join(left)}")
    return counts
