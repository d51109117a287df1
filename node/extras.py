"""What `solnet serve` adds to the application beyond the JSON API: peer endpoints, gossip, the web page, the mailer."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import partial

from aiohttp import web

from .service import NodeService


def node_extras(service: NodeService, args: argparse.Namespace) -> list[Callable[[web.Application], None]]:
    """Return the setup functions for everything a served node runs besides its JSON API."""
    from .federation import config_from_args, federation_setup
    from .notify.setup import mail_setup
    from .web import setup_web

    config = config_from_args(service, args)
    # Served at an https:// public URL (behind a TLS proxy): the session cookie is Secure though the proxy speaks http.
    https = config.own_url.startswith("https://")
    return [federation_setup(config), partial(setup_web, secure_cookies=https), mail_setup(None, config.own_url)]
