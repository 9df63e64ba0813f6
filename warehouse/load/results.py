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
        warnings: What is off in a file that loaded anyway (schema drift, duplicate keys,
            timestamps after the extract date, renamed columns); also logged.
        duplicate_keys: Rows whose key an earlier row of the same file already had.
        future_timestamps: Rows with a timestamp later than the file's extract date.
    """

    file: str
    status: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    duplicate_keys: int = 0
    future_timestamps: int = 0


@dataclass
class LoadSummary:
    """Outcome of one load over the landing folder."""

    results: list[FileResult] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    #: Rows just loaded that belonged to people erased before, dropped per raw table.
    erased_rows: dict[str, int] = field(default_factory=dict)

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
