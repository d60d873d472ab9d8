"""What `--db` / `CRMCLI_DB` name: an SQLite file, or a PostgreSQL server's database.

A path is an SQLite file, exactly as it always was. A `postgresql://` or `postgres://`
URL, or a libpq key=value string that starts with a libpq keyword (`service=crm`,
`host=db1 dbname=crm`), is a PostgreSQL database: it goes to libpq as given, so its
whole syntax works (several hosts, `?sslmode=`, `service=` from pg_service.conf),
and so do its password sources: the URL itself, `PGPASSWORD`, `~/.pgpass`.
Any other `scheme://` (`mysql://`, `http://`, `sqlite://`, `file://`) is refused:
taken as a path it would silently create a local file named after the URL.

A password is never shown: `str()` of a `PostgresUrl` masks it, and so must every
message that quotes a server's error (`PostgresUrl.scrub`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

from crmcli.errors import UsageError
from crmcli.i18n import M_

MASK = "***"

# libpq's connection keywords (PostgreSQL 15's list): a `--db` value starting with one of
# these followed by `=` is a connection string, never a file name.
LIBPQ_KEYWORDS = frozenset(
    """host hostaddr port dbname user password passfile channel_binding connect_timeout
    client_encoding options application_name fallback_application_name keepalives
    keepalives_idle keepalives_interval keepalives_count tcp_user_timeout replication
    gssencmode sslmode requiressl sslcompression sslcert sslkey sslpassword sslrootcert
    sslcrl sslcrldir sslsni requirepeer ssl_min_protocol_version ssl_max_protocol_version
    krbsrvname gsslib service target_session_attrs load_balance_hosts""".split()  # noqa: SIM905
)

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_KEYWORD = re.compile(r"^\s*([A-Za-z_]+)\s*=")
# postgresql://user:PASSWORD@host… — the userinfo ends at the first `@` before any `/`.
_URL_PASSWORD = re.compile(r"^(postgres(?:ql)?://[^:@/]*):([^@/]*)@")
# …?password=PASSWORD&… in a URL's query
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&]*")
# password=PASSWORD or password = 'quoted \' value' in a key=value string
_KV_PASSWORD = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)")


class PostgresUrl(NamedTuple):
    """A PostgreSQL database named by a libpq URL or key=value string (kept as given)."""

    conninfo: str

    def __str__(self) -> str:
        return self.shown

    @property
    def shown(self) -> str:
        """The URL with any password replaced by ***: the only form ever printed."""
        text = _URL_PASSWORD.sub(rf"\1:{MASK}@", self.conninfo)
        text = _QUERY_PASSWORD.sub(rf"\g<1>{MASK}", text)
        if not self.is_url:
            text = _KV_PASSWORD.sub(rf"\g<1>{MASK}", text)
        return text

    @property
    def is_url(self) -> bool:
        return self.conninfo.startswith(("postgresql://", "postgres://"))

    def scrub(self, message: str) -> str:
        """`message` (a server's or libpq's error) with this URL's password masked in it."""
        for secret in self._passwords():
            if secret:
                message = message.replace(secret, MASK)
        return message.replace(self.conninfo, self.shown)

    def _passwords(self) -> list[str]:
        from urllib.parse import unquote

        found = [m.group(2) for m in _URL_PASSWORD.finditer(self.conninfo)]
        found += [m.group(0).split("=", 1)[1] for m in _QUERY_PASSWORD.finditer(self.conninfo)]
        if not self.is_url:
            found += [m.group(2).strip("'") for m in _KV_PASSWORD.finditer(self.conninfo)]
        return sorted({*found, *(unquote(s) for s in found)}, key=len, reverse=True)


Target = Path | PostgresUrl


def parse(value: str, *, source: str = "--db") -> Target:
    """The database `value` names (see the module docstring); `UsageError` for other schemes.

    `source` says where the value came from (`--db`, `CRMCLI_DB`) for the error message.
    """
    scheme = _SCHEME.match(value)
    if scheme:
        name = scheme.group(1).lower()
        if name in ("postgresql", "postgres"):
            if not value[scheme.end() :].startswith("//"):
                raise UsageError(
                    M_(
                        "{source}: {url} is not a PostgreSQL URL; write "
                        "{scheme}://USER@HOST/DATABASE"
                    ).format(source=source, url=PostgresUrl(value), scheme=name)
                )
            return PostgresUrl(value)
        if value[scheme.end() :].startswith("//"):
            raise UsageError(_other_scheme(value, name, source))
    keyword = _KEYWORD.match(value)
    if keyword and keyword.group(1) in LIBPQ_KEYWORDS:
        return PostgresUrl(value)
    return Path(value).expanduser()


def _other_scheme(value: str, name: str, source: str) -> str:
    shown = re.sub(r"^([^:]+://[^:@/]*):[^@/]*@", rf"\1:{MASK}@", value)
    if name in ("sqlite", "file"):
        hint = M_("an SQLite database is given by its file's path ({source} ./crm.db)").format(
            source=source
        )
    else:
        hint = M_(
            "crmcli keeps its data in an SQLite file (give its path) or on a PostgreSQL "
            "server (give a postgresql:// URL)"
        )
    return M_("{source}: {url}: crmcli does not know {scheme}:// databases; {hint}").format(
        source=source, url=shown, scheme=name, hint=hint
    )
