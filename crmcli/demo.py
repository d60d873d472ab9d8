"""The demo: the bundled example shop, loaded into a fresh database of its own."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from sqlite_utils import Database

from crmcli.customer_import import import_customers
from crmcli.db import open_db, write
from crmcli.purchase_import import import_purchases

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
    """Create `path` afresh and import the example customers, contacts and purchases."""
    if path.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = open_db(path)
    with example_dir() as folder, write(db):
        # The same import machinery a user runs: no --map needed for these files.
        import_customers(db, folder / "customers.csv")
        import_customers(db, folder / "contacts.vcf")
        import_purchases(db, folder / "purchases.csv")
    return db


def remove(path: Path) -> None:
    shutil.rmtree(path.parent, ignore_errors=True)
