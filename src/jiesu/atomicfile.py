"""Files that appear whole under their name or not at all.

Everything jiesu writes to a named file (a backup, the copy made before a
migration, an export) is written beside it under a hidden part name, created
owner-only (0600) whatever the umask, flushed to disk, then renamed into place;
if the writer fails (a full disk, an error) the part is removed, and if it is
killed, the next write to the same name removes what it left. A name that is a
device, a pipe or a folder is refused: a rename would put the file in its place.
Usage:

    with atomicfile.writing(target) as part:       # a Path to fill by any means
        sqlite3.connect(part).backup(...)
    with atomicfile.text(target, encoding="utf-8") as stream:
        stream.write(...)
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

PART = "jiesu-part"
# SQLite may leave these beside a file it was writing (a rollback journal, a WAL).
COMPANIONS = ("-journal", "-wal", "-shm")


def part_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.{PART}")


def remove_leftovers(target: Path) -> None:
    """Remove the parts that killed writers of `target` left behind (never a live writer's)."""
    for part in target.parent.glob(f".{_glob_escape(target.name)}.*.{PART}"):
        pid = part.name[len(target.name) + 2 : -len(PART) - 1]
        if pid.isdigit() and not _alive(int(pid)):
            _remove(part)


@contextmanager
def writing(target: Path, *, overwrite: bool = True) -> Iterator[Path]:
    """An empty owner-only part file to fill; on success it becomes `target` (refusing an existing one unless `overwrite`).

    Raises FileExistsError when `target` exists and `overwrite` is False, OSError
    when the disk refuses or `target` is not a regular file; nothing is left behind.
    """
    _refuse_unless_regular(target)
    remove_leftovers(target)
    part = part_path(target)
    _remove(part)
    try:
        os.close(os.open(part, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        yield part
        _sync(part)
        if overwrite:
            os.replace(part, target)
        else:
            _place_new(part, target)
        _sync_folder(target.parent)
    finally:
        _remove(part)


@contextmanager
def text(target: Path, *, encoding: str = "utf-8") -> Iterator[IO[str]]:
    """A text stream whose content becomes `target`, owner-only, whole or not at all."""
    with writing(target) as part, open(part, "w", encoding=encoding, newline="") as stream:
        yield stream


def _refuse_unless_regular(target: Path) -> None:
    """`/dev/full`, a FIFO or a folder is never replaced by a file (root may rename over a device)."""
    try:
        mode = os.stat(target).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return
    if not stat.S_ISREG(mode):
        raise OSError(errno.EINVAL, "不是普通文件（设备、管道或文件夹），不会用文件替换它")


def _place_new(part: Path, target: Path) -> None:
    """Link the part in only if `target` does not exist; a rename where links are not supported (FAT sticks)."""
    try:
        os.link(part, target)
    except FileExistsError:
        raise
    except OSError:
        if target.exists():
            raise FileExistsError(target) from None
        os.rename(part, target)


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not every platform opens folders; the rename itself is still atomic
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove(part: Path) -> None:
    for path in (part, *(part.with_name(part.name + suffix) for suffix in COMPANIONS)):
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process is not writing it: a part with our id is a dead namesake's
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's live process
    return True


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)
