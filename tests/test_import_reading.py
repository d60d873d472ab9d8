"""Reading import files: encodings, broken quotes, unterminated vCards, missing-value
markers, continuation and reading columns, contact-app layouts (issues 11 and 13).

Every fixture is generated here from a seed; nothing is read from outside tests/.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from crmcli import customers
from crmcli.customer_import import import_customers
from crmcli.errors import UsageError


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def db_digest(path: Path) -> str:
    """Every row of every table, hashed: 'unchanged' means this digest is the same."""
    conn = sqlite3.connect(path)
    digest = hashlib.sha256()
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for table in sorted(tables):
        if table.startswith("customers_fts"):
            continue
        for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY 1'):
            digest.update(repr(row).encode())
    conn.close()
    return digest.hexdigest()


# --- --encoding: text encodings only (issue 11 item 10) ------------------------------------

BYTES_CODECS = ["rot13", "base64", "hex", "uu", "zlib_codec", "bz2", "quopri"]


@pytest.mark.parametrize("codec", BYTES_CODECS)
def test_encoding_option_refuses_codecs_that_are_not_text_encodings(cli, tmp_path, codec):
    path = write(tmp_path, "x.csv", "name\nKim\n")
    result = cli("customers", "import", str(path), "--encoding", codec, ok=False)
    assert result.exit_code == 2, result.stderr
    assert f"--encoding {codec!r}: not a text encoding" in result.stderr
    assert "Traceback" not in result.stderr
    again = cli("purchases", "import", str(path), "--encoding", codec, ok=False)
    assert again.exit_code == 2 and "not a text encoding" in again.stderr


def test_bz2_bomb_is_never_inflated(db, tmp_path):
    import bz2

    path = tmp_path / "bomb.csv"
    path.write_bytes(bz2.compress(b"a" * 50_000_000))  # 50 MB of text in a few bytes
    with pytest.raises(UsageError, match="not a text encoding"):
        import_customers(db, path, encoding="bz2")


def test_unknown_encoding_is_a_usage_error_naming_the_option(cli, tmp_path):
    path = write(tmp_path, "x.csv", "name\nKim\n")
    result = cli("customers", "import", str(path), "--encoding", "klingon", ok=False)
    assert result.exit_code == 2
    assert "--encoding 'klingon': unknown encoding" in result.stderr


def test_text_encodings_are_still_accepted(db, tmp_path):
    path = write(tmp_path, "x.csv", "name\n김민준\n", "cp949")
    assert import_customers(db, path, encoding="CP949").counts.added == 1
    assert customers.get(db, 1)["name"] == "김민준"
