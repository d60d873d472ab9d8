"""The demo: the bundled example shop, loaded into a fresh database of its own."""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from sqlite_utils import Database

from crmcli import customers, purchases
from crmcli.dates import iso_date
from crmcli.db import open_db, write
from crmcli.money import parse_amount

DEMO_DIRNAME = "crmcli-demo"


def default_path() -> Path:
    """A demo database in the temp directory, never the user's real database."""
    return Path(tempfile.gettempdir()) / DEMO_DIRNAME / "demo.db"


@contextmanager
def example_dir() -> Iterator[Path]:
    """The bundled examples folder (inside the installed package)."""
    with resources.as_file(resources.files("crmcli") / "examples") as folder:
        yield Path(folder)


def build(path: Path) -> Database:
    """Create `path` afresh and load the example customers and purchases into it."""
    if path.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = open_db(path)
    with example_dir() as folder, write(db):
        _load_customers(db, folder / "customers.csv")
        _load_purchases(db, folder / "purchases.csv")
    return db


def _load_customers(db: Database, file: Path) -> None:
    with file.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            anniversaries = []
            if row["anniversary"]:
                label, _, day = row["anniversary"].partition("=")
                anniversaries.append((label, day))
            customers.add(
                db,
                code=row["code"],
                name=row["name"],
                phones_raw=[row["phone"]] if row["phone"] else [],
                email=row["email"],
                birthday=row["birthday"] or None,
                birthday_lunar=row["birthday_lunar"] == "lunar",
                anniversaries=anniversaries,
                tags=[t for t in row["tags"].split(";") if t],
                owner=row["owner"],
                gender=row["gender"],
                notes=row["notes"],
            )


def _load_purchases(db: Database, file: Path) -> None:
    with file.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            purchases.add(
                db,
                customer_id=customers.resolve(db, row["customer"]),
                amount_micros=parse_amount(row["amount"]),
                on=iso_date(row["date"]),
                item=row["item"],
                category=row["category"],
                quantity=row["quantity"],
                unit_price_micros=parse_amount(row["unit_price"]),
                order_id=row["order_id"],
                delivery_date=iso_date(row["delivery_date"]) if row["delivery_date"] else None,
            )


def remove(path: Path) -> None:
    shutil.rmtree(path.parent, ignore_errors=True)
