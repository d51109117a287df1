"""What can be audited: a bundle file, a node's data dir, a node's URL; each opens as chunks of bundle bytes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import SourceError, UnsupportedSourceError

CHUNK_SIZE = 1 << 16


@dataclass(frozen=True, slots=True)
class BundleFile:
    """An export bundle on disk; every worker opens and streams it on its own."""

    path: str

    kind = "bundle"

    def size(self) -> int:
        """Return the size of the file in bytes."""
        return Path(self.path).stat().st_size

    def chunks(self) -> Iterator[bytes]:
        """Yield the file's bytes in chunks; raise SourceError if it cannot be opened."""
        try:
            handle = open(self.path, "rb")  # noqa: SIM115 - closed by the generator's finally
        except OSError as exc:
            raise SourceError(f"cannot open {self.path}: {exc.strerror or exc}") from None
        try:
            while chunk := handle.read(CHUNK_SIZE):
                yield chunk
        finally:
            handle.close()


def resolve(source: str) -> BundleFile:
    """Return the source named by `source`: a URL, a data dir or a bundle file; raise SourceError if none."""
    if source.startswith(("http://", "https://")):
        raise UnsupportedSourceError(f"auditing a node by URL ({source}) is not supported yet: export a bundle and audit that")
    path = Path(source)
    if path.is_dir():
        raise UnsupportedSourceError(f"auditing a data dir ({source}) is not supported yet: export a bundle and audit that")
    if not path.exists():
        raise SourceError(f"{source}: no such file or directory")
    return BundleFile(str(path))
