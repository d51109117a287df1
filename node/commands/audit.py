"""`solnet audit SOURCE`: the auditor (audit/), given the sources only the node can open.

The auditor imports only `events` and `protocol`; here the node passes in a Source for its data dir (its
store framed as a bundle on the fly) and, for a URL, a NodeUrl that reaches the node through the node's
HTTP transport (replies bounded per message type) and asks `GET /api/v1/digest` with a size limit.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from audit import cli as audit_cli
from audit.errors import SourceError
from audit.sources import CHUNK_SIZE, NodeLink, NodeUrl, Source, resolve
from protocol.errors import MessageError, TransportError

from ..errors import NodeError

if TYPE_CHECKING:
    import aiohttp

DIGEST_LIMIT = 4096
"""Largest `GET /api/v1/digest` reply read (a digest is 64 hex digits in a small JSON object)."""
FETCH_TIMEOUT = 120.0
CONNECT_TIMEOUT = 15.0


def cmd_audit(args: argparse.Namespace) -> int:
    """Run `solnet audit` on a bundle file, a data dir or a URL; return its exit code (0, 1 or 2)."""
    return audit_cli.run(args, resolve_source)


def resolve_source(source: str) -> Source | NodeUrl:
    """Return the source `source` names: a running node's URL, a node's data dir, or a bundle file."""
    if source.startswith(("http://", "https://")):
        return NodeUrl(source.rstrip("/"), http_link)
    if Path(source).is_dir():
        return DataDirSource(str(Path(source)))
    return resolve(source)


@dataclass(frozen=True, slots=True)
class DataDirSource:
    """A node's data dir: its stored events (notification order) and fork proofs, framed as a bundle on the fly."""

    path: str

    kind = "datadir"

    def size(self) -> int | None:
        """Return None: the bundle is produced while it is read, its size is not known beforehand."""
        return None

    def chunks(self) -> Iterator[bytes]:
        """Yield the bytes of a bundle of everything the store holds; raise SourceError if it cannot be read."""
        # imported here: every audit worker opens this source, and needs nothing else of the node
        from events.bundle import BundleHead, write_bundle

        from ..datadir import DataDir
        from ..store import open_store

        data = DataDir.at(self.path)
        try:
            url = data.settings().database_url if data.settings_file.exists() else None
            store = open_store(data.path, url)
        except NodeError as exc:
            raise SourceError(f"cannot open the store of data dir {self.path}: {exc}") from None
        try:
            events = store.iter_export()
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
        except NodeError as exc:
            raise SourceError(f"cannot read the store of data dir {self.path}: {exc}") from None
        finally:
            store.close()


@asynccontextmanager
async def http_link(url: str) -> AsyncIterator[NodeLink]:
    """Yield a NodeLink to the node at `url` over HTTP: the node's own transport, and its digest endpoint."""
    import aiohttp  # imported here: only URL audits need the HTTP client

    from ..federation.transport import HttpTransport

    async with aiohttp.ClientSession(auto_decompress=False) as session:
        transport = HttpTransport(session, "", timeout=FETCH_TIMEOUT, connect_timeout=CONNECT_TIMEOUT)

        async def digest() -> str | None:
            return await advertised_digest(session, url)

        yield NodeLink(transport, digest)


async def advertised_digest(session: aiohttp.ClientSession, url: str) -> str | None:
    """Return the digest the node at `url` advertises (None if none); raise ProtocolError if unreachable or too large."""
    import aiohttp

    from ..bodies import read_stream

    endpoint = f"{url}/api/v1/digest"
    timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT, sock_connect=CONNECT_TIMEOUT)
    try:
        async with session.get(endpoint, timeout=timeout, allow_redirects=False) as resp:
            if 300 <= resp.status < 400:
                raise TransportError(f"{endpoint} answered HTTP {resp.status} (a redirect, never followed)")
            if resp.status != 200:
                return None
            too_large = resp.content_length is not None and resp.content_length > DIGEST_LIMIT
            data = None if too_large else await read_stream(resp.content, DIGEST_LIMIT)
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise TransportError(f"no reply from {endpoint}: {type(exc).__name__}: {exc}") from None
    if data is None:
        raise MessageError(f"the reply of {endpoint} is larger than {DIGEST_LIMIT} bytes")
    try:
        value = json.loads(data).get("state_digest")
    except (ValueError, AttributeError):  # not JSON, or not an object: no digest advertised
        return None
    return value if isinstance(value, str) else None
