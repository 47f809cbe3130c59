# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The one way the collection writes a file (plain Python, no Ansible imports).

Containment in one place: a path is resolved under its directory and refused if it would leave
it (`..`, an absolute name, a symlinked component); the content goes to a `tempfile.mkstemp`
file in the target directory (never a predictable name) and is renamed over the target, which
replaces a symlink planted there instead of following it. Refusals are `OutputError`.
"""
from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path, PurePosixPath


class OutputError(ValueError):
    """A write that is refused or failed; the message names the path and why."""


def contained_path(root, name, what: str = "path") -> Path:
    """`root`/`name` when it stays inside `root`: `name` relative, no '..' or empty parts, no NUL
    or newline, and no existing component under `root` a symlink. Otherwise OutputError."""
    if not isinstance(name, str) or not name:
        raise OutputError(f"{what} {name!r} must be a non-empty relative path")
    if "\x00" in name or "\n" in name or "\r" in name:
        raise OutputError(f"{what} {name!r} holds a NUL or line break; refused")
    parts = PurePosixPath(name).parts    # "." has none: it names the root itself
    if not parts or PurePosixPath(name).is_absolute() or any(p in ("..", ".") for p in parts) \
            or "//" in name or name.endswith("/"):
        raise OutputError(f"{what} {name!r} is not a relative path inside {root} "
                          "(no leading '/', no '.', '..' or empty components)")
    base = Path(root)
    current = base
    for part in parts:
        current = current / part
        if current.is_symlink():
            raise OutputError(f"{what} {name!r}: {current} is a symlink; refused")
    return current


def check_target(path, what: str = "output") -> Path:
    """A path a module may write: not a directory, not a symlink, its parent a directory."""
    path = Path(path)
    if path.is_symlink():
        raise OutputError(f"{what} {path} is a symlink; refused (the collection never writes "
                          "through one)")
    if path.exists() and not path.is_file():
        raise OutputError(f"{what} {path} exists and is not a regular file; refused")
    parent = path.parent
    if not parent.is_dir():
        raise OutputError(f"{what} {path}: directory {parent} does not exist")
    return path


def _write_atomic(path, pieces, mode, what, unless_digest=None) -> bool:
    """The one atomic writer: `pieces` (bytes) into a mkstemp file beside the checked `path`,
    fsync, then renamed over it - unless `unless_digest` is given and equals the written
    content's sha256 (the temporary file is removed: False). The target's current mode is
    kept unless `mode` is given (new files: 0644)."""
    if mode is None:
        try:
            mode = stat.S_IMODE(os.lstat(path).st_mode)
        except FileNotFoundError:
            mode = 0o644
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"cannot write {what} {path}: {exc.strerror or exc}") from None
    digest = hashlib.sha256() if unless_digest is not None else None
    try:
        with os.fdopen(fd, "wb") as handle:
            for data in pieces:
                if digest is not None:
                    digest.update(data)
                handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if digest is not None and digest.hexdigest() == unless_digest:
            _remove(tmp)
            return False
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        raise OutputError(f"cannot write {what} {path}: {exc.strerror or exc}") from None
    except BaseException:
        _remove(tmp)
        raise
    return True


def write_bytes(path, data: bytes, mode: int | None = None, what: str = "output") -> None:
    """Write `data` to `path` atomically: mkstemp in the same directory, fsync, rename over the
    target. The target's current mode is kept unless `mode` is given (new files: 0644)."""
    _write_atomic(check_target(path, what), [data], mode, what)


def write_text(path, text: str, mode: int | None = None, what: str = "output") -> None:
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise OutputError(f"{what} {path}: the content is not encodable text "
                          "(a lone surrogate); nothing written") from None
    write_bytes(path, data, mode, what)


def write_text_if_changed(path, text: str, check_mode: bool = False, mode: int | None = None,
                          what: str = "output") -> bool:
    """True when `path` would change; written (atomically, contained) unless `check_mode`."""
    path = check_target(path, what)
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    if not check_mode:
        write_text(path, text, mode, what)
    return True


def _file_digest(path) -> str | None:
    try:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    except OSError:
        return None


def write_chunks_if_changed(path, chunks, check_mode: bool = False, mode: int | None = None,
                            what: str = "output") -> bool:
    """`write_text_if_changed` for text given in pieces (an iterable of str), written as they
    come so that the whole text is never held: into a mkstemp file in the target directory,
    renamed over the target only when its sha256 differs (in check mode only hashed)."""
    path = check_target(path, what)
    before = _file_digest(path) if path.is_file() else None
    pieces = (_encoded(chunk, path, what) for chunk in chunks)
    if check_mode:
        digest = hashlib.sha256()
        for data in pieces:
            digest.update(data)
        return digest.hexdigest() != before
    # "" never equals a sha256: with no file before, the content is always written
    return _write_atomic(path, pieces, mode, what, unless_digest=before or "")


def append_text(path, text: str, what: str = "output") -> None:
    """Append `text` to the existing regular file `path` (a CI job summary): opened with
    O_APPEND and O_NOFOLLOW, so a symlink at `path` is refused rather than followed, and
    anything but a regular file (a FIFO, a device) is refused before a byte is written."""
    data = _encoded(text, path, what)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise OutputError(f"cannot append to {what} {path}: {exc.strerror or exc}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OutputError(f"{what} {path} is not a regular file; refused")
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except OSError as exc:
        raise OutputError(f"cannot append to {what} {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def _encoded(chunk: str, path, what: str) -> bytes:
    try:
        return chunk.encode("utf-8")
    except UnicodeEncodeError:
        raise OutputError(f"{what} {path}: the content is not encodable text "
                          "(a lone surrogate); nothing written") from None


def _remove(tmp) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass
