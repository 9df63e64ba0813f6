"""The audience declarations, as dbt read them from the one file analysts edit.

Every audience is declared once, in ``dbt_project/models/audiences/_audiences__models.yml``,
on its ``aud_<name>`` model under ``config.meta.audience``: the channel (``email``, ``sms``
or ``ads``), the priority used by the email frequency cap (1 is the most important), the
rule (a SQL predicate over ``int_audience_candidates_joined``), the reason recorded in
``audiences.membership``, the columns its export file carries and, optionally, the
models it needs (``needs_models``: registry names whose scores its rule reads; when
the night skipped one, the audience is published empty with the reason in the
manifest). The model's
``description`` is the audience's description. dbt builds the audiences from that file
and writes what it read to its ``manifest.json``; the export and its audit read that
manifest through this module, so the three never disagree about what an audience is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warehouse.settings import load_settings

CHANNELS = ("email", "sms", "ads")
MODEL_PREFIX = "aud_"


@dataclass(frozen=True)
class Audience:
    """One declared audience.

    Attributes:
        name: Audience name (the model is ``aud_<name>``, the files ``<name>.parquet|csv``).
        description: What the audience is for.
        channel: ``email``, ``sms`` or ``ads``; the consent it needs.
        priority: Rank under the email frequency cap; 1 goes first.
        rule: SQL predicate over ``int_audience_candidates_joined``.
        reason: SQL expression recorded as ``membership.reason``.
        columns: Columns of the export file, in order (warehouse names).
        needs_models: The models whose scores the rule reads (registry names).
        profiles: The files written for it (:mod:`warehouse.export.profiles`):
            ``generic`` (its own Parquet and CSV files) and the tools' formats.
        variants: Content variants allocated by Thompson sampling (empty: none).
    """

    name: str
    description: str
    channel: str
    priority: int
    rule: str
    reason: str
    columns: tuple[str, ...]
    needs_models: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ("generic",)
    variants: tuple[str, ...] = ()

    @property
    def model(self) -> str:
        """The dbt model (and table in schema ``audiences``) holding the audience."""
        return MODEL_PREFIX + self.name


class DeclarationError(ValueError):
    """The audience declarations are malformed."""


def _audience(model: dict[str, Any]) -> Audience | None:
    name = str(model.get("name", ""))
    spec = ((model.get("config") or {}).get("meta") or {}).get("audience")
    if spec is None:
        return None
    if not name.startswith(MODEL_PREFIX):
        raise DeclarationError(f"{name}: audience models are named {MODEL_PREFIX}<name>")
    missing = {"channel", "priority", "rule", "reason", "columns"} - set(spec)
    if missing:
        raise DeclarationError(f"{name}: missing {sorted(missing)}")
    if spec["channel"] not in CHANNELS:
        raise DeclarationError(f"{name}: channel must be one of {CHANNELS}")
    columns = tuple(str(c) for c in spec["columns"])
    if not columns or len(set(columns)) != len(columns):
        raise DeclarationError(f"{name}: columns must be a non-empty list without repeats")
    needs = spec.get("needs_models") or []
    if not isinstance(needs, list) or not all(isinstance(m, str) and m for m in needs):
        raise DeclarationError(f"{name}: needs_models must be a list of model names")
    profiles = spec.get("profiles") or ["generic"]
    _check_profiles(name, str(spec["channel"]), columns, profiles)
    variants = spec.get("variants") or []
    if not isinstance(variants, list) or len({str(v) for v in variants}) != len(variants):
        raise DeclarationError(f"{name}: variants must be a list without repeats")
    if variants and len(variants) < 2:
        raise DeclarationError(f"{name}: declare at least two variants, or none")
    return Audience(
        name=name[len(MODEL_PREFIX) :],
        description=" ".join(str(model.get("description", "")).split()),
        channel=str(spec["channel"]),
        priority=int(spec["priority"]),
        rule=str(spec["rule"]),
        reason=str(spec["reason"]),
        columns=columns,
        needs_models=tuple(needs),
        profiles=tuple(profiles),
        variants=tuple(str(v) for v in variants),
    )


def _check_profiles(name: str, channel: str, columns: tuple[str, ...], profiles: Any) -> None:
    """Every named profile exists, serves the channel and finds its key column."""
    from warehouse.export.profiles import GENERIC, KNOWN, cells, profile

    if not isinstance(profiles, list) or not all(isinstance(p, str) for p in profiles):
        raise DeclarationError(f"{name}: profiles must be a list of profile names")
    if GENERIC not in profiles or len(set(profiles)) != len(profiles):
        raise DeclarationError(f"{name}: profiles must include {GENERIC} once, without repeats")
    for p in profiles:
        if p not in KNOWN:
            raise DeclarationError(f"{name}: unknown profile {p!r} (known: {', '.join(KNOWN)})")
        if p != GENERIC:
            try:
                cells(profile(p), channel, columns)
            except ValueError as exc:
                raise DeclarationError(f"{name}: {exc}") from None


def default_manifest() -> Path:
    """The manifest of the pipeline's dbt runs in the configured ``PZ_HOME``."""
    return load_settings().dbt_target_dir / "manifest.json"


def load_audiences(manifest: Path | str | None = None) -> list[Audience]:
    """Read every declared audience from a dbt ``manifest.json``, sorted by name.

    Args:
        manifest: The manifest a dbt command wrote (``dbt build``, ``dbt parse``);
            default: the one in the configured home (:func:`default_manifest`).

    Returns:
        The audiences, one per ``aud_<name>`` model carrying ``meta.audience``.

    Raises:
        FileNotFoundError: There is no manifest: dbt has not run yet.
        DeclarationError: A declaration is incomplete or inconsistent.
    """
    path = Path(manifest) if manifest is not None else default_manifest()
    if not path.is_file():
        raise FileNotFoundError(
            f"no dbt manifest at {path}: run dbt first (a night's dbt build writes it, "
            "or dbt parse --target-path to that folder)"
        )
    nodes = json.loads(path.read_text()).get("nodes", {})
    models = [n for n in nodes.values() if n.get("resource_type") == "model"]
    audiences = [a for m in models if (a := _audience(m)) is not None]
    if not audiences:
        raise DeclarationError(f"{path}: no audience declared")
    return sorted(audiences, key=lambda a: a.name)
