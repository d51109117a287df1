"""What can be audited: any Source (its bytes as a bundle, in chunks); the auditor itself opens bundle files.

A node's data dir and a running node are read by the node's own code, which `solnet audit` passes in
(node/commands/audit.py): a Source for the data dir, and for a URL a NodeUrl whose `connect` opens a
NodeLink (a protocol Transport to the node and a way to ask for its advertised digest).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .errors import SourceError, UnsupportedSourceError

if TYPE_CHECKING:
    from protocol.transport import Transport

CHUNK_SIZE = 1 << 16


class Source(Protocol):
    """A log to audit, as the bytes of a bundle: `path` names it in the report, `kind` says what it is.

    With more than one worker, each worker process calls `chunks()` on its own copy, so a source must be
    picklable and readable more than once. `chunks()` raises SourceError if the source cannot be opened.
    """

    @property
    def path(self) -> str: ...

    @property
    def kind(self) -> str: ...

    def size(self) -> int | None:
        """Return the size of the bundle in bytes, or None if it is not known beforehand."""
        ...

    def chunks(self) -> Iterator[bytes]:
        """Yield the bytes of the bundle in chunks."""
        ...


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
class NodeLink:
    """An open connection to a running node: a protocol Transport to it, and a callable that returns the
    digest it advertises (None if it advertises none; raising a ProtocolError when it cannot be asked)."""

    transport: Transport
    digest: Callable[[], Awaitable[str | None]]


@dataclass(frozen=True, slots=True)
class NodeUrl:
    """A running node at the base URL `path`, reached through `connect(path)`; fetched into a temporary bundle first."""

    path: str
    connect: Callable[[str], AbstractAsyncContextManager[NodeLink]]

    kind = "url"


def resolve(source: str) -> BundleFile:
    """Return the bundle file named by `source`; raise UnsupportedSourceError for a URL or a directory, SourceError if missing."""
    if source.startswith(("http://", "https://")) or Path(source).is_dir():
        what = "a node's URL" if source.startswith(("http://", "https://")) else "a directory (a node's data dir?)"
        raise UnsupportedSourceError(f"{source} is {what}: the auditor alone reads bundle files; use `solnet audit {source}`")
    if not Path(source).exists():
        raise SourceError(f"{source}: no such file or directory")
    return BundleFile(str(Path(source)))
