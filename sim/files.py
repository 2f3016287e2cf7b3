"""Writing output files so that nothing a user had is lost.

Every file the program writes (a scenario after an MSEL import, a report, a
CSV or Parquet table, an event log) goes through `write_atomic`: the bytes go
to a temporary file in the same folder, are flushed to disk, and only then
renamed over the target. A full disk or a crash mid-write leaves the previous
file exactly as it was. `refuse_overwriting_inputs` stops an output path that
names one of the command's own inputs (`run S.yaml --events S.yaml`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO


class OutputError(Exception):
    """An output could not be written; the message is one sentence for the user."""


def _describe(error: OSError, path: Path) -> str:
    if error.errno == errno.ENOSPC:
        return f"{path}: not written, the disk is full (the previous file, if any, is unchanged)"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{path}: not written, permission denied or read-only file system"
    reason = error.strerror or type(error).__name__
    return f"{path}: not written ({reason})"


@contextlib.contextmanager
def atomic_writer(
    path: Path | str, mode: str = "w", *, encoding: str | None = "utf-8", newline: str | None = None
) -> Iterator[IO]:
    """Open a temporary sibling of `path` for writing; rename it into place on success.

    Missing parent folders are created. On any failure the temporary file is
    removed, the target is untouched, and an `OSError` becomes `OutputError`.
    """
    target = Path(path)
    binary = "b" in mode
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as error:
        raise OutputError(_describe(error, target)) from error
    try:
        with os.fdopen(
            handle, mode, encoding=None if binary else encoding, newline=None if binary else newline
        ) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        with contextlib.suppress(OSError):
            os.chmod(temporary, _mode_for(target))
        os.replace(temporary, target)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise OutputError(_describe(error, target)) from error
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _mode_for(target: Path) -> int:
    """The replaced file's permissions, or the usual 0644 under the umask for a new file."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        current = os.umask(0)
        os.umask(current)
        return 0o666 & ~current


def write_atomic(path: Path | str, data: str | bytes, *, encoding: str = "utf-8") -> None:
    """Write `data` to `path` all at once or not at all (see `atomic_writer`)."""
    if isinstance(data, bytes):
        with atomic_writer(path, "wb") as stream:
            stream.write(data)
    else:
        with atomic_writer(path, "w", encoding=encoding, newline="") as stream:
            stream.write(data)


def refuse_overwriting_inputs(outputs: Iterable[Path | str | None], inputs: Iterable[Path | str | None]) -> None:
    """Raise `OutputError` when an output path is the same file as an input."""
    resolved_inputs = {}
    for item in inputs:
        if item is None:
            continue
        with contextlib.suppress(OSError):
            resolved_inputs[Path(item).resolve()] = Path(item)
    for item in outputs:
        if item is None:
            continue
        with contextlib.suppress(OSError):
            resolved = Path(item).resolve()
            if resolved in resolved_inputs:
                raise OutputError(
                    f"{item}: refusing to overwrite an input of this command ({resolved_inputs[resolved]})"
                )
