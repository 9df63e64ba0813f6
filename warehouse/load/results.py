"""What a load did: one result per file and the summary over the landing folder."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FileResult:
    """What happened to one file.

    Attributes:
        file: The file's path below the landing folder.
        status: ``loaded``, ``failed`` or ``skipped`` (already loaded, same content).
        rows_read: Records found in the file.
        rows_loaded: Records written to its raw table.
        rows_rejected: Records written to ``raw._rejects``.
        error: Why the file failed.
    """

    file: str
    status: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    error: str | None = None


@dataclass
class LoadSummary:
    """Outcome of one load over the landing folder."""

    results: list[FileResult] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[FileResult]:
        """Files that could not be loaded."""
        return [r for r in self.results if r.status == "failed"]

    @property
    def loaded(self) -> list[FileResult]:
        """Files loaded by this run."""
        return [r for r in self.results if r.status == "loaded"]

    @property
    def skipped(self) -> list[FileResult]:
        """Files already loaded with the same content."""
        return [r for r in self.results if r.status == "skipped"]
