"""Files that appear whole under their name or not at all.

Everything jiesu writes to a named file (a backup, the copy made before a
migration, an export) is written beside it under a hidden part name, created
owner-only (0600) whatever the umask, flushed to disk, then renamed into place;
if the writer fails (a full disk, an error) the part is removed. The writer
holds an exclusive flock on its part until it is renamed or removed, so a part
whose lock is free was left by a killed writer: every write into a folder first
removes such parts there, whatever name they were for, silently (they are
jiesu's own temporaries, and hold the personal data being written), and leaves
a live writer's alone. Only names of the exact form `.NAME.PID.jiesu-part`
(with SQLite's companions of it) are ever touched. A name that is a device, a
pipe or a folder is refused: a rename would put the file in its place. A symbolic link is
written through: the file it names is replaced (its part beside that file), the link stays.
Usage:

    with atomicfile.writing(target) as part:       # a Path to fill by any means
        sqlite3.connect(part).backup(...)
    with atomicfile.text(target, encoding="utf-8") as stream:
        stream.write(...)
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

PART = "jiesu-part"
# The files SQLite keeps beside a database it has open (a WAL and its shared memory, a rollback
# journal), deleted when the last connection closes it, left beside one whose writer was killed.
COMPANIONS = ("-wal", "-shm", "-journal")


_PART_NAME = re.compile(rf"\..+\.[0-9]+\.{PART}", re.DOTALL)


def part_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.{PART}")


def remove_leftovers(folder: Path) -> None:
    """Remove the parts in `folder` that killed writers left (their lock is free); a live writer's stays."""
    try:
        names = os.listdir(folder)
    except OSError:
        return  # a folder we cannot list: the write itself will say why
    for name in names:
        if _PART_NAME.fullmatch(name):
            _remove_if_abandoned(folder / name)


_placed = 0


def placed_count() -> int:
    """How many files this process has put in place: the CLI tells a script that its export or backup is written."""
    return _placed


@contextmanager
def writing(target: Path, *, overwrite: bool = True) -> Iterator[Path]:
    """An empty owner-only part file to fill; on success it becomes `target` (refusing an existing one unless `overwrite`).

    Raises FileExistsError when `target` exists and `overwrite` is False, OSError
    when the disk refuses or `target` is not a regular file; nothing is left behind.
    """
    target = _through_links(target)
    _refuse_unless_regular(target)
    remove_leftovers(target.parent)
    part = part_path(target)
    try:
        lock = _create_locked(part)
    except FileNotFoundError:  # in a folder that is there: one of the system's (/proc, /sys) that makes no files
        raise OSError(errno.ENOENT, NO_NEW_FILES if target.parent.is_dir() else NO_FOLDER) from None
    try:
        yield part
        _sync(part)
        if overwrite:
            os.replace(part, target)
        else:
            _place_new(part, target)
        _sync_folder(target.parent)
        global _placed
        _placed += 1
    finally:
        _remove(part)
        os.close(lock)  # only now may another process take the part for a dead writer's


@contextmanager
def text(target: Path, *, encoding: str = "utf-8") -> Iterator[IO[str]]:
    """A text stream whose content becomes `target`, owner-only, whole or not at all."""
    with writing(target) as part, open(part, "w", encoding=encoding, newline="") as stream:
        yield stream


NOT_REGULAR = "不是普通文件（设备、管道或文件夹），不会用文件替换它"
NO_NEW_FILES = "所在的文件夹不能新建文件（如 /proc 这样由系统生成的文件夹）"
NO_FOLDER = "所在的文件夹不存在（符号链接指向的，或刚被删除）"
PLANTED_LINK = "是别人在共享文件夹（如 /tmp）里放的符号链接，不会写到它指向的文件"


def _through_links(target: Path) -> Path:
    """The file a symbolic link at `target` names (through every link), else `target`: a link is written
    through, its file replaced whole beside itself, never the link replaced by a file.

    As the kernel's protected_symlinks does for opening, a link in a sticky world-writable folder
    (/tmp) is followed only if it is ours or the folder owner's: another user's could point at any of our files.
    """
    try:
        link = os.lstat(target)
    except OSError:
        return target  # nothing there yet (or unreachable: the write itself will say why)
    if not stat.S_ISLNK(link.st_mode):
        return target
    folder = os.stat(target.parent)
    shared = folder.st_mode & stat.S_ISVTX and folder.st_mode & stat.S_IWOTH
    if shared and link.st_uid not in (os.geteuid(), folder.st_uid):
        raise OSError(errno.EPERM, PLANTED_LINK)
    return Path(os.path.realpath(target))


def _refuse_unless_regular(target: Path) -> None:
    """`/dev/full`, a FIFO or a folder is never replaced by a file (root may rename over a device)."""
    try:
        mode = os.stat(target).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return
    if not stat.S_ISREG(mode):
        raise OSError(errno.EINVAL, NOT_REGULAR)


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


def _create_locked(part: Path) -> int:
    """Create `part` and hold its lock: the descriptor to close once the part is renamed or removed.

    A cleaner may take the lock in the instant between creating and locking and
    remove the part as a dead writer's; then the part is made again. Where the
    filesystem has no locks the part is written unlocked: cleaners cannot lock
    it either, so it is never taken for a dead writer's.
    """
    while True:
        fd = os.open(part, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError as exc:
                if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP):
                    raise
            if _still_named(part, fd):
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


def _remove_if_abandoned(part: Path) -> None:
    """Remove `part` if nobody holds its lock; one we cannot open or lock (another user's, a link, a pipe) stays.

    Opened read-only: where flock is a POSIX lock underneath (NFS), which a
    writer's SQLite drops on closing the part, an exclusive lock is then refused,
    so no part there is taken for a dead writer's.
    """
    try:
        fd = os.open(part, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if _still_named(part, fd):  # removed and made again by a new writer in the meantime: that one is live
            _remove(part)
    except OSError:
        return  # locked: its writer is alive (or the folder refuses the removal)
    finally:
        os.close(fd)


def _still_named(part: Path, fd: int) -> bool:
    try:
        return os.path.samestat(os.stat(part, follow_symlinks=False), os.fstat(fd))
    except FileNotFoundError:
        return False
