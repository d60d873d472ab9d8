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
# A URL of another kind, also one wrapping a scheme (`jdbc:postgresql://…`); a path that
# really begins that way is written `./name://…`.
_OTHER_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.:-]*)://")
_KEYWORD = re.compile(r"^\s*([A-Za-z_]+)\s*=")
# The password of a URL's userinfo, `scheme://user:PASSWORD@host…` (libpq ends the
# userinfo at the first `@` before any `/`), also where the `//` was forgotten
# (`postgresql:user:PASSWORD@host`, refused, but quoted in the refusal).
# A `/` typed in the password (libpq wants it as %2F) is masked too: up to the `@`,
# unless a `?` or `#` comes first.
_URL_PASSWORD = re.compile(r"(://|^[A-Za-z][A-Za-z0-9+.-]*:)([^:@/\s]*):(?!//)([^@?#]*)@")
# A URL whose `user:password@` holds a `/`: libpq ends the userinfo at the first `/`,
# and would read the password's first part as the port, the rest as the database.
_SLASH_IN_USERINFO = re.compile(r"^[a-z]+://[^@/?#]*:[^@?#]*/[^@?#]*@")
# `password=…` (and libpq's `sslpassword=`, the client key's) in a URL's query, in any
# letter case: a misspelt `PASSWORD=` is refused by libpq, and quoted in the refusal.
_QUERY_PASSWORD = re.compile(r"([?&](?:ssl)?password=)([^&#]*)", re.IGNORECASE)
# password=PASSWORD or password = 'quoted \' value' in a key=value string
_KV_PASSWORD = re.compile(r"(\b(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'?|\S*)", re.IGNORECASE)


class PostgresUrl(NamedTuple):
    """A PostgreSQL database named by a libpq URL or key=value string (kept as given)."""

    conninfo: str

    def __str__(self) -> str:
        return self.shown

    def __repr__(self) -> str:  # a traceback or a debug print shows no password either
        return f"PostgresUrl({self.shown!r})"

    @property
    def shown(self) -> str:
        """The URL with any password replaced by ***: the only form ever printed."""
        return mask(self.conninfo)

    @property
    def is_url(self) -> bool:
        return _is_url(self.conninfo)

    def scrub(self, message: str) -> str:
        """`message` (a server's or libpq's error) with this URL's password masked in it."""
        message = message.replace(self.conninfo, self.shown)
        for secret in _passwords(self.conninfo):
            message = message.replace(secret, MASK)
        return message


def _is_url(text: str) -> bool:
    return text.lower().startswith(("postgresql://", "postgres://"))


def mask(text: str) -> str:
    """`text` (a URL, a key=value string, or anything quoting one) with every password
    in it replaced by ***."""
    text = _URL_PASSWORD.sub(rf"\1\2:{MASK}@", text)
    if _is_url(text):
        return _QUERY_PASSWORD.sub(rf"\g<1>{MASK}", text)
    return _KV_PASSWORD.sub(rf"\g<1>{MASK}", _QUERY_PASSWORD.sub(rf"\g<1>{MASK}", text))


def _passwords(conninfo: str) -> list[str]:
    """Every password `conninfo` holds, as typed and as libpq reads it (unquoted,
    percent-decoded), longest first: scrubbing a short one first could leave the rest."""
    from urllib.parse import unquote

    found = [m.group(3) for m in _URL_PASSWORD.finditer(conninfo)]
    found += [m.group(2) for m in _QUERY_PASSWORD.finditer(conninfo)]
    if not _is_url(conninfo):
        for m in _KV_PASSWORD.finditer(conninfo):
            value = m.group(2)
            found.append(value)
            if value.startswith("'"):
                found.append(re.sub(r"\\(.)", r"\1", value.strip("'")))
    return sorted({s for s in (*found, *map(unquote, found)) if s}, key=len, reverse=True)


Target = Path | PostgresUrl


def parse(value: str, *, source: str = "--db") -> Target:
    """The database `value` names (see the module docstring); `UsageError` for other schemes
    and for a PostgreSQL URL libpq could not read (checked here, before anything runs).

    `source` says where the value came from (`--db`, `CRMCLI_DB`) for the error message.
    """
    path = value
    # A URL pasted with a space before it, or read from a file with a CR after it, is
    # still the URL: taken for a path, it made a file named after it, password and all.
    value = value.strip()
    scheme = _SCHEME.match(value)
    if scheme:
        name = scheme.group(1).lower()
        if name in ("postgresql", "postgres"):
            if not value[scheme.end() :].startswith("//"):
                raise UsageError(
                    M_(
                        "{source}: {url} is not a PostgreSQL URL; write "
                        "{scheme}://USER@HOST/DATABASE"
                    ).format(source=source, url=mask(value), scheme=name)
                )
            # A scheme is case-blind (RFC 3986), libpq's test for one is not.
            return _readable(PostgresUrl(name + value[scheme.end() - 1 :]), source)
    other = _OTHER_SCHEME.match(value)
    if other:  # mysql://…, but also jdbc:postgresql://…: a URL, never a file name
        raise UsageError(_other_scheme(value, other.group(1).lower(), source))
    keyword = _KEYWORD.match(value)
    if keyword and keyword.group(1).lower() in LIBPQ_KEYWORDS:
        # `Host=db1 …` too: libpq refuses the letter case, where a file would be made.
        return _readable(PostgresUrl(value), source)
    return Path(path).expanduser()  # as given: a file's name may hold any character


def _readable(url: PostgresUrl, source: str) -> PostgresUrl:
    """`url` when libpq can read it; a malformed one is a usage error (exit 2) that names
    what is wrong, in libpq's words, rather than a failed connection."""
    try:
        import psycopg
    except ImportError:
        return url  # connecting says which extra to install
    if _SLASH_IN_USERINFO.match(url.conninfo):
        error = "a / in the user name or password is written %2F"
        raise UsageError(
            f"{source}: {url}: " + M_("not a valid PostgreSQL URL ({error})").format(error=error)
        )
    try:
        params = psycopg.conninfo.conninfo_to_dict(url.conninfo)
    except psycopg.Error as exc:
        error = url.scrub(str(exc).strip().splitlines()[0])
        raise UsageError(
            f"{source}: {url}: " + M_("not a valid PostgreSQL URL ({error})").format(error=error)
        ) from None
    # psycopg looks a host up by itself before libpq reads the port: `db1:5433x` would
    # be said as a host that cannot be found. libpq's own words for it:
    for port in str(params.get("port", "")).split(","):
        if not port.strip():
            continue
        if not port.strip().isdigit():
            error = f'invalid integer value "{port}" for connection option "port"'
        elif not 0 < int(port) < 65536:
            error = f'invalid port number: "{port}"'
        else:
            continue
        raise UsageError(
            f"{source}: {url}: " + M_("not a valid PostgreSQL URL ({error})").format(error=error)
        )
    return url


def _other_scheme(value: str, name: str, source: str) -> str:
    shown = mask(value)
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
