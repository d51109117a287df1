"""What can be audited: a bundle file, a node's data dir, a node's URL; each opens as chunks of bundle bytes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import SourceError

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


@dataclass(frozen=True, slots=True)
class DataDirSource:
    """A node's data dir: its stored events (notification order) and fork proofs, framed as a bundle on the fly."""

    path: str

    kind = "datadir"

    def size(self) -> int | None:
        """Return None: the bundle is produced while it is read, its size is not known beforehand."""
        return None

    def chunks(self) -> Iterator[bytes]:
        """Yield the bytes of a bundle of everything the store holds; raise SourceError if it cannot be opened."""
        from events.bundle import BundleHead, write_bundle
        from node.datadir import DataDir
        from node.errors import NodeError
        from node.store import open_store

        data = DataDir.at(self.path)
        try:
            url = data.settings().database_url if data.settings_file.exists() else None
            store = open_store(data.path, url)
        except NodeError as exc:
            raise SourceError(f"cannot open the store of data dir {self.path}: {exc}") from None
        try:
            events = (event for _, event in store.iter_notifications())
            buffered: list[bytes] = []
            size = 0
            for piece in write_bundle(BundleHead(f"data dir {self.path}", 0), events, store.fork_proofs()):
                buffered.append(piece)
                size += len(piece)
                if size >= CHUNK_SIZE:
                    yield b"".join(buffered)
                    buffered, size = [], 0
            if buffered:
                yield b"".join(buffered)
        finally:
            store.close()


@dataclass(frozen=True, slots=True)
class NodeUrl:
    """A running node, read over its peer API into a temporary bundle first (see audit/remote.py)."""

    path: str

    kind = "url"


Source = BundleFile | DataDirSource | NodeUrl


def resolve(source: str) -> Source:
    """Return the source named by `source`: a URL, a data dir or a bundle file; raise SourceError if none."""
    if source.startswith(("http://", "https://")):
        return NodeUrl(source)
    path = Path(source)
    if path.is_dir():
        return DataDirSource(str(path))
    if not path.exists():
        raise SourceError(f"{source}: no such file or directory")
    return BundleFile(str(path))
