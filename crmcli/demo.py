"""The demo: the bundled example shop, loaded into a fresh database of its own."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from crmcli.db import open_db
from crmcli.files import Output, make_private_dirs
from crmcli.imports.customers import import_customers
from crmcli.imports.purchases import import_purchases

if TYPE_CHECKING:
    from crmcli.engines import Engine

DEMO_DIRNAME = "crmcli-demo"


def default_path() -> Path:
    """A demo database in the temp directory, never the user's real database.

    The folder is per user: in a shared temp directory another user's folder of the
    same name is never written into (nor replaced).
    """
    return Path(tempfile.gettempdir()) / f"{DEMO_DIRNAME}-{os.getuid()}" / "demo.db"


@contextmanager
def example_dir() -> Iterator[Path]:
    """The bundled examples folder (inside the installed package)."""
    with resources.as_file(resources.files("crmcli") / "examples") as folder:
        yield Path(folder)


def build(path: Path, *, protect: Iterable[tuple[Path, str]] = (), force: bool = False) -> Engine:
    """Build the example shop in a new file, then put it at `path` whole; returns it open.

    The database is made beside `path` under a temporary name and renamed only when
    complete (`crmcli.files.Output`): an existing file is replaced only with `force`,
    never while it has a -wal or -journal beside it, and never one in `protect`.
    """
    make_private_dirs(path.parent)
    out = Output(path, protect=protect, force=force, database=True, what="demo database")
    out.open()
    assert out.tmp_path is not None
    try:
        db = open_db(out.tmp_path)
        try:
            with example_dir() as folder, db.write():
                # The same import machinery a user runs: no --map needed for these files.
                import_customers(db, folder / "customers.csv")
                import_customers(db, folder / "contacts.vcf")
                import_purchases(db, folder / "purchases.csv")
        finally:
            db.close()  # checkpoints the WAL into the file, which then stands alone
    except BaseException:
        out.discard()
        raise
    out.commit()
    return open_db(path)
