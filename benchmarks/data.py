"""The benchmark's input: one synthetic company per size, written once as Parquet and reused."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow.parquet as pq

from netretain import Ledger
from netretain.synthetic import generate_company

DATA_DIR = Path(__file__).resolve().parent / "data"
KINDS = ("customers", "subscriptions", "invoice_lines", "fx_rates")
MANIFEST = "manifest.json"
SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}


@dataclass(frozen=True)
class Dataset:
    """A generated company on disk: the parameters that made it and its four Parquet files."""

    label: str
    customers: int
    months: int
    seed: int
    directory: Path

    @property
    def paths(self) -> dict[str, Path]:
        """Input kind -> Parquet file, in the keyword names `Ledger.ingest` takes."""
        return {kind: self.directory / f"{kind}.parquet" for kind in KINDS}

    @property
    def invoice_lines(self) -> int:
        """Rows in the invoice-lines file (the benchmark's rows-per-second unit)."""
        return pq.ParquetFile(self.paths["invoice_lines"]).metadata.num_rows

    def params(self) -> dict[str, int]:
        """The generator arguments, as written in the manifest."""
        return {"customers": self.customers, "months": self.months, "seed": self.seed}


def parse_size(label: str) -> int:
    """Customers for a size label: 10k, 100k, 1M, or a plain number."""
    if label in SIZES:
        return SIZES[label]
    text = label.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


def size_label(customers: int) -> str:
    """The short label of a customer count (1M, 100k, 250)."""
    if customers % 1_000_000 == 0:
        return f"{customers // 1_000_000}M"
    if customers % 1_000 == 0:
        return f"{customers // 1_000}k"
    return str(customers)


def ensure_dataset(
    customers: int, *, months: int = 36, seed: int = 7, root: Path = DATA_DIR
) -> tuple[Dataset, bool]:
    """The dataset for these parameters, generating it unless the same one is on disk."""
    label = size_label(customers)
    dataset = Dataset(label, customers, months, seed, root / f"{label}-m{months}-s{seed}")
    manifest = dataset.directory / MANIFEST
    present = manifest.exists() and all(p.exists() for p in dataset.paths.values())
    if present and json.loads(manifest.read_text()) == dataset.params():
        return dataset, False
    shutil.rmtree(dataset.directory, ignore_errors=True)
    # in a child process, so the generator's memory is returned before anything is measured
    command = [sys.executable, "-m", "benchmarks.data", json.dumps(dataset_dict(dataset))]
    subprocess.run(command, check=True, cwd=Path(__file__).resolve().parent.parent)
    return dataset, True


def write_dataset(dataset: Dataset) -> None:
    """Generate the company and write its Parquet files and manifest."""
    company = generate_company(
        customers=dataset.customers, months=dataset.months, seed=dataset.seed
    )
    company.write(dataset.directory, format="parquet")
    (dataset.directory / MANIFEST).write_text(json.dumps(dataset.params(), sort_keys=True))


def dataset_dict(dataset: Dataset) -> dict[str, object]:
    """JSON-ready description of a dataset, for a child process."""
    data = asdict(dataset)
    data["directory"] = str(dataset.directory)
    return data


def dataset_from(data: dict[str, object]) -> Dataset:
    """The inverse of `dataset_dict`."""
    return Dataset(
        label=str(data["label"]),
        customers=int(data["customers"]),  # type: ignore[arg-type]
        months=int(data["months"]),  # type: ignore[arg-type]
        seed=int(data["seed"]),  # type: ignore[arg-type]
        directory=Path(str(data["directory"])),
    )


if __name__ == "__main__":
    write_dataset(dataset_from(json.loads(sys.argv[1])))


def ingested(size: str, months: int) -> Path:
    """The benchmark company's ledger (with its revenue log), ingested once beside its data and
    shared by the web, prediction and proof benchmarks, so `make bench` ingests 1M rows once."""
    dataset, _ = ensure_dataset(parse_size(size), months=months)
    db = dataset.directory / "ledger.duckdb"
    if not db.exists():
        with Ledger(db) as ledger:
            ledger.ingest(**dataset.paths)
    return db
