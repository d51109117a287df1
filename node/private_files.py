"""Files that hold group data or secrets are readable by their owner only: 0600 files, 0700 directories."""

from __future__ import annotations

import os
from pathlib import Path


def private_dir(path: Path) -> None:
    """Create the directory `path` (and its parents) if missing; a directory this creates is 0700."""
    if not path.exists():
        path.mkdir(parents=True, exist_ok=True)
        os.chmod(path, 0o700)


def private_file(path: Path) -> None:
    """Create the file `path` empty if missing and make it 0600 (SQLite gives its -wal and -shm files this mode)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)
