"""Every file crmcli writes, written one way: complete or not at all, never over what matters.

Rejects, calendars, exports, backups and the demo all go through `Output`:

- the target is checked first: never the open database or its -wal/-shm/-journal,
  never the command's own input file (compared as files, by device and inode, and
  by resolved path when one side does not exist yet), never a folder, never a
  symbolic link (a link is not followed to replace what it points at), and not an
  existing file unless the user said `--force`;
- the data goes to a new temporary file in the same folder, created 0600 (rows of
  customers are personal data), fsynced, and only then renamed into place; so a
  crash, a full disk or an error leaves the old file as it was and no half file;
- without `--force`, the rename cannot replace a file that appeared meanwhile (a
  hard link is made, which fails if the name is taken);
- on failure the temporary file is removed: crmcli deletes and chmods only files
  it created itself.

A fifo or a device (`--output /dev/null`) is not a file to replace: it is written
to directly. Folders crmcli creates (`make_private_dirs`) are 0700 whatever the umask.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from crmcli.db_url import PostgresUrl
from crmcli.errors import Conflict, CrmError, InvalidValue
from crmcli.i18n import M_

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
# SQLite's companions of a database file: writing over one corrupts the database.
SIDECARS = ("-wal", "-shm", "-journal")
TMP_SUFFIX = ".crmcli-tmp"


class UnsafeOutput(InvalidValue):
    """An output path that would overwrite something crmcli must not touch."""


def database_family(path: Path | str | PostgresUrl) -> list[Path]:
    """A database file and the companions SQLite keeps beside it.

    Given through a symbolic link, SQLite names the companions after the real file:
    both sets are listed. A PostgreSQL database has no file here: none.
    """
    if isinstance(path, PostgresUrl):
        return []
    names = [Path(path)]
    real = Path(os.path.realpath(path))
    if real != Path(os.path.abspath(path)):
        names.append(real)
    return [p for name in names for p in (name, *(Path(f"{name}{s}") for s in SIDECARS))]


def _same(a: Path, b: Path) -> bool:
    """The same file: by device and inode when both exist, else by resolved path."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InvalidValue(f"{path}: {exc.strerror or exc}") from exc


def check_target(
    path: Path,
    *,
    protect: Iterable[tuple[Path, str]] = (),
    force: bool = False,
    what: str = M_("output file"),
) -> os.stat_result | None:
    """Refuse an output path that is unsafe to write; returns its lstat (None if new).

    `protect` pairs a path with what it is ("the open database", "the input file").
    """
    if str(path) in ("", "-"):
        raise UnsafeOutput(M_("give a file name for the {what}").format(what=what))
    info = _lstat(path)
    if info is not None and stat.S_ISLNK(info.st_mode):
        raise UnsafeOutput(
            M_(
                "{path} is a symbolic link; crmcli does not write through links (give the "
                "file's own path, or another name)"
            ).format(path=path)
        )
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise UnsafeOutput(
            M_("{path} is a folder; give a file name for the {what}").format(path=path, what=what)
        )
    for other, label in protect:
        if _same(path, other):
            raise UnsafeOutput(
                M_("{path} is {label}; choose another name for the {what}").format(
                    path=path, label=label, what=what
                )
            )
    folder = path.parent
    if not folder.is_dir():
        raise UnsafeOutput(
            M_("{folder} is not an existing folder; create it first").format(folder=folder)
        )
    if info is not None and stat.S_ISREG(info.st_mode) and not force:
        raise Conflict(
            M_("{path} already exists; give another name, or --force to replace it").format(
                path=path
            )
        )
    return info


def _fsync_dir(folder: Path) -> None:
    # The rename is durable only once the folder's entry is on disk.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Output:
    """One output file, written to a temporary file and renamed into place on `commit`.

    Use as a context manager: `with Output(path, …) as f: f.write(…)` commits when the
    block ends normally and discards otherwise. For SQLite outputs (`database=True`)
    `tmp_path` is the file to write with SQLite, then `commit()` once it is closed.
    """

    def __init__(
        self,
        path: Path,
        *,
        protect: Iterable[tuple[Path, str]] = (),
        force: bool = False,
        binary: bool = False,
        encoding: str = "utf-8",
        newline: str | None = None,
        database: bool = False,
        what: str = "output file",
    ) -> None:
        self.path = Path(path)
        self.protect = list(protect)
        self.force = force
        self.what = what
        self.database = database
        info = check_target(self.path, protect=self.protect, force=force, what=what)
        if database and info is not None:
            for suffix in SIDECARS:
                if os.path.lexists(f"{self.path}{suffix}"):
                    raise UnsafeOutput(
                        M_(
                            "{sidecar} exists: {path} is in use or was not closed cleanly; "
                            "crmcli will not replace it"
                        ).format(sidecar=f"{self.path}{suffix}", path=self.path)
                    )
        self._stream = info is not None and not stat.S_ISREG(info.st_mode)  # fifo, device
        self.binary = binary
        self.encoding = encoding
        self.newline = newline
        self.file: IO[Any] | None = None
        self.tmp_path: Path | None = None
        self._opened = False
        self._done = False
        self._placed: tuple[int, int] | None = None  # (device, inode) of a file we created

    def open(self) -> IO[Any] | None:
        """Create the temporary file (0600) and return it open for writing.

        A database output returns None: write `tmp_path` with SQLite instead.
        """
        assert not self._opened, "opened once"
        self._opened = True
        if self._stream:
            fd = os.open(self.path, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0))
        else:
            import tempfile  # here: every command loads this module; few write a file

            fd, name = tempfile.mkstemp(
                prefix=f".{self.path.name}.", suffix=TMP_SUFFIX, dir=self.path.parent
            )
            self.tmp_path = Path(name)
            with contextlib.suppress(OSError):  # mkstemp's 0600, whatever the umask
                os.fchmod(fd, PRIVATE_FILE)
        if self.database:
            os.close(fd)
            return None
        try:
            if self.binary:
                self.file = os.fdopen(fd, "wb")
            else:
                self.file = os.fdopen(fd, "w", encoding=self.encoding, newline=self.newline)
        except BaseException:
            os.close(fd)
            self._remove_tmp()
            raise
        return self.file

    def __enter__(self) -> IO[Any]:
        file = self.open()
        assert file is not None, "a database output has no stream; write tmp_path"
        return file

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()

    def commit(self) -> Path:
        """Make the written data the file at `path` (durably); returns `path`."""
        if self._done:
            return self.path
        if not self._opened:
            self.open()
        try:
            if self.file is not None:
                self.file.flush()
                if not self._stream:
                    os.fsync(self.file.fileno())
                self.file.close()
            if self._stream:
                self._done = True
                return self.path
            assert self.tmp_path is not None
            if self.database:
                self._sync_database()
            # Checked again: the folder may have changed while the data was written.
            check_target(self.path, protect=self.protect, force=self.force, what=self.what)
            self._place()
        except BaseException:
            self.discard()
            raise
        self._done = True
        _fsync_dir(self.path.parent)
        return self.path

    def _sync_database(self) -> None:
        assert self.tmp_path is not None
        for suffix in SIDECARS:  # SQLite removes them on a clean close
            if os.path.lexists(f"{self.tmp_path}{suffix}"):
                raise CrmError(
                    M_("{path} is still open; it was not put in place").format(path=self.tmp_path)
                )
        fd = os.open(self.tmp_path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def retract(self) -> None:
        """Take back a committed file that was new (the work it belonged to failed after all).

        Only a file this `Output` created, still the same file: one it replaced is gone,
        and one put there since is not ours.
        """
        placed, self._placed = self._placed, None
        if placed is None:
            return
        with contextlib.suppress(OSError):
            now = os.lstat(self.path)
            if (now.st_dev, now.st_ino) == placed:
                self.path.unlink()

    def _place(self) -> None:
        assert self.tmp_path is not None
        info = os.lstat(self.tmp_path)
        existed = os.path.lexists(self.path)
        self._placed = None if existed else (info.st_dev, info.st_ino)
        if self.force:
            os.replace(self.tmp_path, self.path)  # replaces a link itself, never its target
            return
        try:
            os.link(self.tmp_path, self.path)  # fails if the name was taken meanwhile
        except FileExistsError:
            raise Conflict(
                M_("{path} already exists; give another name, or --force to replace it").format(
                    path=self.path
                )
            ) from None
        except OSError:  # a file system without hard links: check, then rename
            if os.path.lexists(self.path):
                raise Conflict(
                    M_("{path} already exists; give another name, or --force to replace it").format(
                        path=self.path
                    )
                ) from None
            os.rename(self.tmp_path, self.path)
            return
        self._remove_tmp()

    def discard(self) -> None:
        """Drop what was written; the target is left exactly as it was."""
        if self._done:
            return
        self._done = True
        if self.file is not None:
            with contextlib.suppress(OSError, ValueError):
                self.file.close()
        self._remove_tmp()

    def _remove_tmp(self) -> None:
        if self.tmp_path is None:
            return
        for leftover in (self.tmp_path, *(Path(f"{self.tmp_path}{s}") for s in SIDECARS)):
            with contextlib.suppress(OSError):
                leftover.unlink()


def protect_database(db: Any) -> list[tuple[Path, str]]:
    """`protect` pairs for the open database's files (an engine's `files()`)."""
    labels = ["the open database", *(f"the open database's {s} file" for s in SIDECARS)]
    return [(p, labels[i % 4]) for i, p in enumerate(db.files())]  # 4 per file


def protect_inputs(*paths: Path | None) -> list[tuple[Path, str]]:
    return [(p, "this command's input file") for p in paths if p is not None]


def make_private_dirs(folder: Path) -> None:
    """Create `folder` and any missing parents, each 0700 whatever the umask."""
    missing: list[Path] = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            continue  # made by another process meanwhile: not ours to chmod
        os.chmod(path, PRIVATE_DIR)


def create_private(path: Path) -> bool:
    """Create an empty file 0600 (its missing folders 0700); False if it already existed."""
    if not path.parent.exists():
        make_private_dirs(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, PRIVATE_FILE)  # umask 0o277 and the like would take bits away
    finally:
        os.close(fd)
    return True


def open_new_private(path: Path, **kwargs: Any) -> IO[Any]:
    """A new file that must not exist yet, opened for text writing, 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    os.fchmod(fd, PRIVATE_FILE)
    return os.fdopen(fd, "w", **kwargs)
