"""What `solnet serve` adds to the application beyond the JSON API: peer endpoints, gossip, the web page, the mailer."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from aiohttp import web

from .service import NodeService


def node_extras(service: NodeService, args: argparse.Namespace) -> list[Callable[[web.Application], None]]:
    """Return the setup functions for everything a served node runs besides its JSON API."""
    from .federation import config_from_args, federation_setup
    from .notify.setup import mail_setup_from_env
    from .web import setup_web

    listen = getattr(args, "listen", "127.0.0.1:8470")
    return [federation_setup(config_from_args(service, args)), setup_web, mail_setup_from_env(listen)]
