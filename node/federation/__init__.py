"""Federation over HTTP: the store as a protocol Replica, the peer endpoints, the HTTP transport and the gossip scheduler."""

from .replica import NodeReplica
from .routes import FEDERATION, setup_peer_routes
from .scheduler import Federation, FederationConfig
from .setup import config_from_args, federation_setup
from .transport import CONTENT_TYPE, PEER_HEADER, HttpTransport

__all__ = [
    "CONTENT_TYPE",
    "FEDERATION",
    "PEER_HEADER",
    "Federation",
    "FederationConfig",
    "HttpTransport",
    "NodeReplica",
    "config_from_args",
    "federation_setup",
    "setup_peer_routes",
]
