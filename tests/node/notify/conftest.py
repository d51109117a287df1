"""The web tests' node and client fixtures, for the feeds and notifications pages."""

from ..web.conftest import client, node

__all__ = ["client", "node"]
