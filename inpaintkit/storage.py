"""Atomic writes and checksums: a kill at any moment leaves the last good file readable."""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

__all__ = ["atomic_path", "atomic_write_text", "new_folder_beside", "recover_folder", "sha256_file", "swap_folder"]


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename.

    On an exception the temporary file is removed and ``path`` is left as it was.
    The suffix is kept so that writers that look at it (``.weights.h5``, ``.npy``) are happy.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = "".join(path.suffixes) or ".tmp"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name.split('.')[0]}-", suffix=suffix, dir=path.parent)
    os.close(fd)
    os.unlink(tmp)  # writers create the file themselves
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if not tmp_path.exists():
            raise RuntimeError(f"nothing was written to the temporary file for {path}")
        with open(tmp_path, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


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
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
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
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
