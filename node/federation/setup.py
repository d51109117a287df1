"""Wiring federation into the app: peer routes, one ClientSession and the scheduler in a cleanup_ctx."""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator, Callable

import aiohttp
from aiohttp import web

from protocol import OPEN, TRUSTED

from ..api import PEER_DIRECTORY, SERVICE
from ..errors import ConfigError
from ..invitations import Invitations
from ..service import NodeService
from .config import PUBLIC_URL_ENV
from .guard import learnt_peers_connector
from .invitation_api import setup_invitation_routes
from .joining import INVITATIONS, JOIN_PATH, join_handler
from .routes import FEDERATION, setup_peer_routes
from .scheduler import HEALTH_FILE, Federation, FederationConfig, peers_from

INTERVAL_ENV = "SOLNET_SYNC_INTERVAL"
PEER_EXCHANGE_ENV = "SOLNET_PEER_EXCHANGE"
ALLOW_PRIVATE_ENV = "SOLNET_ALLOW_PRIVATE_PEERS"
OPEN_RELAY_ENV = "SOLNET_OPEN_RELAY"
NEW_AUTHORS_ENV = "SOLNET_NEW_AUTHORS_PER_HOUR"
MAX_SUBSCRIBERS_ENV = "SOLNET_MAX_SUBSCRIBERS"


def federation_setup(config: FederationConfig) -> Callable[[web.Application], None]:
    """Return the setup function that adds the peer endpoints and the gossip scheduler to an app."""

    def setup(app: web.Application) -> None:
        federation = Federation(app[SERVICE], config)
        app[FEDERATION] = federation
        app[PEER_DIRECTORY] = federation
        app[INVITATIONS] = Invitations(app[SERVICE].store)
        app.router.add_post(JOIN_PATH, join_handler)  # (before /peer/v1/{name}, which would take it)
        setup_peer_routes(app)
        setup_invitation_routes(app)

        async def federation_ctx(app: web.Application) -> AsyncIterator[None]:
            connector = aiohttp.TCPConnector(limit=64, limit_per_host=8)
            guarded = learnt_peers_connector(allow_private=config.allow_private_peers)
            async with (
                aiohttp.ClientSession(connector=connector, auto_decompress=False) as session,
                aiohttp.ClientSession(connector=guarded, auto_decompress=False) as learnt_session,
            ):
                await federation.start(session, learnt_session)
                yield
                await federation.stop()

        async def stop_early(app: web.Application) -> None:
            # on_shutdown runs before any cleanup_ctx exits, so gossip stops while the store is still open.
            await federation.stop()

        app.cleanup_ctx.append(federation_ctx)
        app.on_shutdown.append(stop_early)

    return setup


def _whole(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise ConfigError(f"${name} must be a whole number, not {raw!r:.40}", field=name)
    return int(raw)


def config_from_args(service: NodeService, args: argparse.Namespace) -> FederationConfig:
    """Return the federation config of `solnet serve`: own URL from --listen (or $SOLNET_PUBLIC_URL), peers, policy."""
    listen = getattr(args, "listen", "127.0.0.1:8470")
    host, _, port = listen.rpartition(":")
    settings = service.settings
    public = os.environ.get(PUBLIC_URL_ENV) or settings.public_url
    own = public or f"http://{host or '127.0.0.1'}:{port}"
    open_relay = bool(getattr(args, "open_relay", False)) or os.environ.get(OPEN_RELAY_ENV, "0") == "1"
    health = service.data_dir.path / HEALTH_FILE if service.data_dir else None
    return FederationConfig(
        own_url=own,
        peers=peers_from(settings.peers),
        follow_only=bool(getattr(args, "follow_only", False) or settings.follow_only),
        follow_depth=settings.follow_depth,
        interval=float(os.environ.get(INTERVAL_ENV) or 5.0),
        peer_exchange=os.environ.get(PEER_EXCHANGE_ENV, "1") != "0",
        allow_private_peers=os.environ.get(ALLOW_PRIVATE_ENV, "0") == "1",
        replication=OPEN if open_relay else TRUSTED,
        new_authors_per_hour=_whole(NEW_AUTHORS_ENV, 1000),
        health_file=health,
        subscribe=peers_from(settings.subscribe),
        reachable=bool(public) or not settings.subscribe,  # a node that subscribes and names no public URL is behind NAT
        max_subscribers=_whole(MAX_SUBSCRIBERS_ENV, 32),
    )
