"""Files and folders the kit writes: atomic writes, sets of files swapped in whole, one writer per
output folder, and file-system problems told in one line.

- :func:`atomic_path` / :func:`atomic_write_text`: a kill at any moment leaves the last good file.
- :func:`new_folder_beside` + :func:`swap_folder`: a set of files that belongs together (weights
  and their manifest) replaces the old set as a whole; :func:`recover_folder` undoes a half swap.
- :func:`writer_lock`: one writer per output folder, a lock file naming the process; a second
  writer is refused, the lock of a process that died is taken over with a note.
- :func:`check_writable`: a read-only, full, missing or forbidden folder is named before any long
  work starts (:class:`StorageError`, one line).
"""
from __future__ import annotations

import errno
import fcntl
import getpass
import hashlib
import json
import os
import shutil
import socket
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import InputError

__all__ = ["LOCK_NAME", "FolderBusy", "StorageError", "atomic_create_text", "atomic_path", "atomic_write_text",
           "check_writable", "describe_os_error", "folder_moment", "new_folder_beside", "read_lock", "recover_folder", "sha256_file",
           "storage_error", "swap_folder", "writer_lock"]


class StorageError(InputError, PermissionError):
    """A path the kit cannot use as asked: read-only, full, missing, not a folder, or forbidden.
    The message names the path and the reason in one line."""


class FolderBusy(StorageError):
    """Another process is writing into the same output folder."""


# The file-system errors a user can fix (a disk, a path, a permission), as the reason told to them.
_REASONS = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
            errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
            errno.EPERM: "operation not permitted", errno.ENOENT: "no such file or folder",
            errno.ENOTDIR: "part of the path is a file, not a folder", errno.EISDIR: "it is a folder, not a file",
            errno.EEXIST: "a file of that name is in the way", errno.ENAMETOOLONG: "the name is too long",
            errno.EMFILE: "too many open files", errno.EFBIG: "the file would be too large",
            errno.EIO: "an input/output error of the disk"}


def describe_os_error(error: OSError) -> str | None:
    """The reason of a file-system error a user can fix, or None for any other error."""
    return _REASONS.get(getattr(error, "errno", None))


def storage_error(path, error: OSError, doing: str = "write") -> OSError:
    """:class:`StorageError` "cannot ``doing`` ``path``: reason" for a file-system error a user can
    fix; any other error comes back unchanged (a bug keeps its traceback)."""
    if isinstance(error, StorageError):
        return error
    reason = describe_os_error(error)
    return StorageError(f"cannot {doing} {path}: {reason}") if reason else error


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename.

    On an exception the temporary file is removed and ``path`` is left as it was.
    The suffix is kept so that writers that look at it (``.weights.h5``, ``.npy``) are happy.
    A full, read-only or forbidden disk raises :class:`StorageError` naming ``path``.
    """
    path = Path(path)
    if path.is_symlink():  # write the file the link names; replacing the link would cut it
        path = path.resolve()
    suffix = "".join(path.suffixes) or ".tmp"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name.split('.')[0]}-", suffix=suffix, dir=path.parent)
        os.close(fd)
        os.unlink(tmp)  # writers create the file themselves
    except OSError as error:
        raise storage_error(path, error) from None
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if not tmp_path.exists():
            raise RuntimeError(f"nothing was written to the temporary file for {path}")
        with open(tmp_path, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp_path, path)
    except OSError as error:
        raise storage_error(path, error) from None
    finally:
        try:
            tmp_path.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only disk: nothing was written there either


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def atomic_create_text(path: str | os.PathLike, text: str) -> bool:
    """Write ``text`` to ``path`` whole, only if no file is there yet; False (and nothing written)
    when one is: two processes that start one record at once cannot both believe they wrote it."""
    path = Path(path)
    staged = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, staged = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(staged, path)  # fails if path exists: the create is atomic and exclusive
        return True
    except FileExistsError:
        return False
    except OSError as error:
        raise storage_error(path, error) from None
    finally:
        if staged is not None:
            Path(staged).unlink(missing_ok=True)


def sha256_file(path: str | os.PathLike) -> str:
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _old_copy(target: Path) -> Path:
    return target.parent / f".{target.name}.old"


def swap_folder(new: str | os.PathLike, target: str | os.PathLike) -> None:
    """Put the folder ``new`` in the place of ``target`` as a whole (a set of files that belongs
    together: weights and their manifest). ``target`` is first renamed aside, then ``new`` renamed
    in, then the old copy removed; a kill between the two renames leaves the old copy, which
    :func:`recover_folder` puts back, so a reader never sees new weights beside an old manifest."""
    new, target = Path(new), Path(target)
    old = _old_copy(target)
    try:
        if old.exists() and target.exists():
            shutil.rmtree(old)  # a leftover of an older swap; target is the good copy
        elif old.exists():
            os.replace(old, target)  # a swap killed between its renames: put the old set back first
        if target.exists():
            os.replace(target, old)
        os.replace(new, target)
    except OSError as error:
        raise storage_error(target, error, "replace") from None
    shutil.rmtree(old, ignore_errors=True)


def recover_folder(target: str | os.PathLike) -> bool:
    """Undo a :func:`swap_folder` killed between its two renames; True if something was put back."""
    target = Path(target)
    old = _old_copy(target)
    if not target.exists() and old.exists():
        os.replace(old, target)
        return True
    return False


def new_folder_beside(target: str | os.PathLike) -> Path:
    """An empty hidden folder beside ``target`` (same file system, so :func:`swap_folder` is a rename)."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    except OSError as error:
        raise storage_error(target.parent, error) from None


# ----------------------------------------------------------------------------- the file system
def check_writable(folder: str | os.PathLike, *, need_bytes: int = 1 << 20, what: str = "output folder") -> Path:
    """Create ``folder`` if needed and prove that a file can be written there and that at least
    ``need_bytes`` are free: called before long work, so a read-only, full, missing or forbidden
    path is named at once (:class:`StorageError`), not after an hour of optimisation."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=folder)
        try:
            os.write(fd, b"inpaintkit")
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(probe)
        free = shutil.disk_usage(folder).free
    except OSError as error:
        raise storage_error(f"{what} {folder}", error) from None
    if free < need_bytes:
        raise StorageError(f"cannot write {what} {folder}: the disk is full ({free / 2 ** 20:.1f} MB free, "
                           f"about {need_bytes / 2 ** 20:.0f} MB needed)")
    return folder


# ----------------------------------------------------------------------------- one writer per folder
LOCK_NAME = ".inpaintkit.lock"
_HELD: dict[str, list] = {}  # lock path → [file descriptor, depth]: a process may nest its own lock


def _lock_path(folder: Path, role: str) -> Path:
    return folder / (f".inpaintkit-{role}.lock" if role else LOCK_NAME)


def read_lock(path: str | os.PathLike) -> dict:
    """What a lock file says about its writer (pid, host, user, command, started), or {}."""
    try:
        record = json.loads(Path(path).read_text() or "{}")
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def _describe_writer(record: dict) -> str:
    if not record:
        return "another process"
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.get("started", 0)))
    return (f"pid {record.get('pid', '?')} on {record.get('host', '?')} since {started} "
            f"({record.get('command', 'unknown command')})")


def _pid_alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError, TypeError, OverflowError):
        return True  # another user's process, or a pid we cannot read: assume it runs
    return True


def _try_lock(fd: int) -> bool:
    """flock the file without waiting; False when another open file holds it. A file system
    without flock falls back on the pid in the file."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    except OSError as error:
        if error.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
            raise
        record = _read_fd(fd)
        return not (record.get("host") == socket.gethostname() and record.get("pid") != os.getpid()
                    and _pid_alive(record.get("pid")))


def _read_fd(fd: int) -> dict:
    try:
        record = json.loads(os.pread(fd, 1 << 16, 0).decode() or "{}")
    except (OSError, ValueError, UnicodeDecodeError):
        return {"damaged": True}
    return record if isinstance(record, dict) else {"damaged": True}


def _busy(folder: Path, path: Path, record: dict) -> FolderBusy:
    return FolderBusy(f"{folder} is being written by {_describe_writer(record)}: wait until it has finished, "
                      f"or pick another output folder (lock file {path.name})")


@contextmanager
def folder_moment(folder: str | os.PathLike, command: str, *, wait: float = 60.0) -> Iterator[None]:
    """Hold ``folder``'s lock for a moment (``.inpaintkit-moment.lock``, taken and released like
    :func:`writer_lock`'s, flock or a pid where the file system has no flock), for a short
    read-change-write of a file that writers sharing the folder by design (the shards of one
    evaluation) might both change: the second waits, then reads what the first wrote. Only
    holders of this lock exclude each other; the same process may nest it. A holder that keeps
    it longer than ``wait`` seconds gets :class:`FolderBusy` naming it. The file is removed after."""
    folder = Path(folder)
    path = _lock_path(folder, "moment")
    key = os.path.abspath(path)
    if key in _HELD:
        _HELD[key][1] += 1
        try:
            yield
        finally:
            _HELD[key][1] -= 1
        return
    deadline = time.monotonic() + wait
    while True:
        try:
            fd = _acquire(folder, path, command)
            break
        except FolderBusy:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)
        except OSError as error:
            raise storage_error(f"output folder {folder}", error) from None
    _HELD[key] = [fd, 1]
    try:
        yield
    finally:
        del _HELD[key]
        _release(fd, path)


@contextmanager
def writer_lock(folder: str | os.PathLike, command: str, *, role: str = "") -> Iterator[Path]:
    """Hold the one-writer lock of ``folder`` for the block (creating the folder if needed).

    The lock is a file (``.inpaintkit.lock``, or ``.inpaintkit-ROLE.lock``) holding the writer's
    pid, host, user, ``command`` and start time, locked with ``flock``: the system releases it
    when the process dies, so a lock left by a killed run is taken over, with a note naming it.
    A second writer gets :class:`FolderBusy` naming the first. ``role`` lets writers that share a
    folder by design (the shards of one evaluation, each its own role) run side by side: a writer
    without a role excludes every other, a writer with one excludes the one without and its own
    role. The same process may nest the lock. Removed at the end; a folder this call created and
    that stayed empty is removed too.
    """
    folder = Path(folder)
    path = _lock_path(folder, role)
    key = os.path.abspath(path)
    if key in _HELD:  # this process holds it already (the CLI around a library call)
        _HELD[key][1] += 1
        try:
            yield path
        finally:
            _HELD[key][1] -= 1
        return
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = _acquire(folder, path, command)
    except OSError as error:
        raise storage_error(f"output folder {folder}", error) from None
    _HELD[key] = [fd, 1]
    try:
        _check_other_writers(folder, path, role)
        yield path
    finally:
        del _HELD[key]
        _release(fd, path)
        if created:
            try:
                folder.rmdir()  # only if empty: a refused run leaves nothing behind
            except OSError:
                pass


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def _acquire(folder: Path, path: Path, command: str) -> int:
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_lock(fd):
            record = _read_fd(fd)
            os.close(fd)
            raise _busy(folder, path, record)
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the previous writer removed the file between our open and lock: again
    try:
        left = _read_fd(fd)
        record = {"pid": os.getpid(), "host": socket.gethostname(), "user": _user(), "command": command,
                  "started": time.time()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
    except BaseException:
        _release(fd, path)  # e.g. a full disk: no half-made lock is left behind
        raise
    if left:  # a writer that ends removes its lock file: this one's writer died
        what = "a damaged lock file" if left.get("damaged") else f"the lock of {_describe_writer(left)}"
        print(f"note: {folder}: took over {what}; that process is no longer running")
    return fd


def _check_other_writers(folder: Path, own: Path, role: str) -> None:
    """After taking our own lock: refuse if a writer that excludes us holds its lock."""
    others = [p for p in folder.glob(".inpaintkit*.lock") if p != own] if not role else [folder / LOCK_NAME]
    for other in others:
        try:
            fd = os.open(other, os.O_RDWR)
        except FileNotFoundError:
            continue
        try:
            if not _try_lock(fd):
                raise _busy(folder, other, _read_fd(fd))
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _release(fd: int, path: Path) -> None:
    try:
        os.ftruncate(fd, 0)
        os.unlink(path)
    except OSError:
        pass
    finally:
        os.close(fd)  # closing releases the flock
