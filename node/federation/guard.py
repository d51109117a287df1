"""Connecting only to addresses somebody chose: a resolver that drops non-public addresses of learnt peers' hosts.

The learnt peers' ClientSession resolves host names through `GuardedResolver`, which asks the loop's
getaddrinfo and keeps only the addresses `protocol.urls.address_allowed` lets through; aiohttp then connects
to one of exactly those addresses, so a name that resolves to a public address when checked and to a
private one a moment later (DNS rebinding) cannot swap the target. Literal addresses never reach a
resolver: `protocol.urls.learnt_url_problem` checks them before the request.
"""

from __future__ import annotations

import ipaddress
import socket

import aiohttp
from aiohttp.abc import ResolveResult
from aiohttp.resolver import ThreadedResolver

from protocol.urls import address_allowed


class GuardedResolver(ThreadedResolver):
    """A ThreadedResolver (the loop's getaddrinfo) that returns only addresses a learnt peer may have."""

    def __init__(self, *, allow_private: bool = False):
        super().__init__()
        self.allow_private = allow_private

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        """Return the allowed addresses of `host`; raise OSError if it has none."""
        found = await super().resolve(host, port, family)
        kept = [r for r in found if _allowed(r["host"], self.allow_private)]
        if not kept:
            raise OSError(f"{host} resolves to no public address (learnt peers are contacted at public addresses only)")
        return kept


def _allowed(host: str, allow_private: bool) -> bool:
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return address_allowed(address, allow_private=allow_private)


def learnt_peers_connector(*, allow_private: bool) -> aiohttp.TCPConnector:
    """Return the connector of the session that talks to learnt peers: guarded resolution, a small connection budget."""
    return aiohttp.TCPConnector(limit=16, limit_per_host=2, resolver=GuardedResolver(allow_private=allow_private))
