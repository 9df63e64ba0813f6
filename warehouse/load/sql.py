"""Quoting helpers for the SQL the loader builds from names and paths."""

from __future__ import annotations

from pathlib import Path


def quote(name: str) -> str:
    """A SQL identifier, double-quoted."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A SQL string literal, single-quoted."""
    return "'" + value.replace("'", "''") + "'"


def paths_list(paths: list[Path]) -> str:
    """A SQL list literal of file paths, for DuckDB's multi-file readers."""
    return "[" + ", ".join(literal(str(p)) for p in paths) + "]"
