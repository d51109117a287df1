"""Which learnt peer URLs a node may contact (docs/PROTOCOL.md §13, "Addresses nobody chose").

A URL the operator configured is trusted as it is. A URL learnt from others (a `Solnet-Peer` claim, a peer
list) must be a plain public http(s) base URL: no credentials, query string or fragment, and a host that is
not (and, for a name, does not resolve to) a loopback, private, link-local, multicast, reserved or other
special address, unless the operator allows private ranges. The syntax and literal addresses are checked
here; a host name is checked by the node when it resolves it, against `address_allowed`, and the node
connects to the address it checked.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from .fields import MAX_URL_LENGTH

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_allowed(address: IPAddress, *, allow_private: bool = False) -> bool:
    """True iff a learnt peer may be contacted at `address`: a global unicast address, or any if `allow_private`."""
    if allow_private:
        return not address.is_multicast and not address.is_unspecified
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address_allowed(address.ipv4_mapped)
    special = (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
    )
    return address.is_global and not special


def literal_address(host: str) -> IPAddress | None:
    """Return the IP address `host` spells (IPv6 with or without brackets), or None if it is a name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def learnt_url_problem(url: str, *, allow_private: bool = False) -> str | None:
    """Return why a learnt peer URL must not be contacted, or None if it may be (its host name still to be checked)."""
    if len(url) > MAX_URL_LENGTH or not url.isascii() or not url.isprintable() or " " in url:
        return "not a printable ASCII URL of at most 512 characters"
    if "?" in url or "#" in url:
        return "has a query string or fragment"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return "is not http(s)"
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        return "carries credentials"
    host = parts.hostname
    if not host:
        return "has no host"
    if port == 0:
        return "has port 0"
    address = literal_address(host)
    if address is not None and not address_allowed(address, allow_private=allow_private):
        return f"points at a non-public address ({address})"
    if address is None and not allow_private and (host == "localhost" or host.endswith((".localhost", ".local", ".internal"))):
        return f"names a local host ({host})"
    return None
