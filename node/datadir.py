"""A node's data directory: identity key, API token hash, settings and the embedded SQLite store."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from events import Identity, IdentityError, parse_group_id

from .errors import ConfigError
from .secrets_store import hash_password, hash_token, new_token

DEFAULT_DATA_DIR = "./solnet-data"
KEY_FILE = "identity.pem"
GROUP_FILE = "group-id"  # after a key rotation: the group id, which identity.pem's key no longer is
SETTINGS_FILE = "node.json"
TOKEN_FILE = "api-token"
WEB_SESSIONS_FILE = "web-sessions.sqlite"
DEFAULT_TIME_ZONE = "Europe/London"


@dataclass(frozen=True, slots=True)
class Settings:
    """What `init`, `peer add` and `passwd` record for a node; everything else comes from flags."""

    name: str
    token_hash: str
    password_hash: str | None = None
    peers: tuple[str, ...] = ()
    follow_only: bool = False
    follow_depth: int = 0
    database_url: str | None = None
    time_zone: str = DEFAULT_TIME_ZONE
    language: str = "en"
    """The language of the node's page for visitors who chose none and whose browser asks for none it speaks."""
    shared_login: bool = True
    """The shared password and the node's API token log in as the built-in admin until an admin turns them off."""
    public_url: str | None = None
    """Where other nodes reach this one ($SOLNET_PUBLIC_URL overrides it); None: from --listen, or nowhere if it subscribes."""
    subscribe: tuple[str, ...] = ()
    """Peers this node keeps a subscription open to (docs/PROTOCOL.md §16): how a node behind NAT gets pushes."""
    extra: dict = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "name": self.name,
                "token_hash": self.token_hash,
                "password_hash": self.password_hash,
                "peers": list(self.peers),
                "follow_only": self.follow_only,
                "follow_depth": self.follow_depth,
                "database_url": self.database_url,
                "time_zone": self.time_zone,
                "language": self.language,
                "shared_login": self.shared_login,
                "public_url": self.public_url,
                "subscribe": list(self.subscribe),
                **self.extra,
            },
            indent=2,
        )


def _write_private(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only (0600), replacing it atomically."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


@dataclass(frozen=True, slots=True)
class DataDir:
    """Paths and loaders for one node's data directory."""

    path: Path

    @classmethod
    def at(cls, path: str | os.PathLike | None) -> DataDir:
        """Return the data dir at `path`, else $SOLNET_DATA, else ./solnet-data."""
        return cls(Path(path or os.environ.get("SOLNET_DATA") or DEFAULT_DATA_DIR))

    @property
    def key_file(self) -> Path:
        return self.path / KEY_FILE

    @property
    def settings_file(self) -> Path:
        return self.path / SETTINGS_FILE

    @property
    def token_file(self) -> Path:
        return self.path / TOKEN_FILE

    @property
    def web_sessions_file(self) -> Path:
        return self.path / WEB_SESSIONS_FILE

    def exists(self) -> bool:
        return self.key_file.exists() and self.settings_file.exists()

    def init(
        self, name: str | None, passphrase: bytes | None = None, *, identity: Identity | None = None
    ) -> tuple[Identity, str]:
        """Create identity (a new one, or `identity`: a recovered group's), settings and API token; return the
        identity and the token (shown once).

        Without a name (`solnet run` on a fresh data dir) the group is named on the set-up page later.
        """
        if name is not None and (not name.strip() or len(name) > 120):
            raise ConfigError("the group name must have 1 to 120 characters", field="name")
        if self.key_file.exists():
            raise ConfigError(f"{self.path} already holds a node identity; use another --data directory")
        self.path.mkdir(parents=True, exist_ok=True)
        os.chmod(self.path, 0o700)
        if identity is not None:
            self.save_signing_key(identity, passphrase)
            token = new_token()
            _write_private(self.token_file, (token + "\n").encode())
            self.save(Settings(name=(name or "").strip(), token_hash=hash_token(token)))
            return identity, token
        identity = Identity.generate()
        token = new_token()
        _write_private(self.key_file, identity.to_pem(passphrase))
        _write_private(self.token_file, (token + "\n").encode())
        self.save(Settings(name=(name or "").strip(), token_hash=hash_token(token)))
        return identity, token

    def load_identity(self, passphrase: bytes | None = None) -> Identity:
        """Load the group's key, with the passphrase given or from $SOLNET_PASSPHRASE."""
        if not self.key_file.exists():
            raise ConfigError(f"no node identity in {self.path}: run `solnet init --name NAME --data {self.path}` first")
        if passphrase is None and os.environ.get("SOLNET_PASSPHRASE"):
            passphrase = os.environ["SOLNET_PASSPHRASE"].encode()
        try:
            identity = Identity.from_pem(self.key_file.read_bytes(), passphrase)
            group = self.path / GROUP_FILE
            return identity.rotated(parse_group_id(group.read_text().strip())) if group.exists() else identity
        except IdentityError as exc:
            raise ConfigError(f"cannot load {self.key_file}: {exc}") from None

    def save_signing_key(self, identity: Identity, passphrase: bytes | None = None) -> None:
        """Make `identity` (the group's, signing with the key in force after a rotation) the node's key.

        The group id is written first, then the key replaces the old one atomically: the old key is gone from here.
        """
        if passphrase is None and os.environ.get("SOLNET_PASSPHRASE"):
            passphrase = os.environ["SOLNET_PASSPHRASE"].encode()
        if identity.signing_key != identity.public_key:
            _write_private(self.path / GROUP_FILE, (identity.group_id + "\n").encode())
        _write_private(self.key_file, identity.to_pem(passphrase))

    def settings(self) -> Settings:
        """Return the saved settings; raise ConfigError if the data dir was never initialised."""
        try:
            raw = json.loads(self.settings_file.read_text())
        except FileNotFoundError:
            raise ConfigError(f"no node in {self.path}: run `solnet init --name NAME --data {self.path}` first") from None
        except ValueError as exc:
            raise ConfigError(f"{self.settings_file} is damaged: {exc}") from None
        known = {
            "name",
            "token_hash",
            "password_hash",
            "peers",
            "follow_only",
            "follow_depth",
            "database_url",
            "time_zone",
            "language",
            "shared_login",
            "public_url",
            "subscribe",
        }
        return Settings(
            name=raw["name"],
            token_hash=raw["token_hash"],
            password_hash=raw.get("password_hash"),
            peers=tuple(raw.get("peers", ())),
            follow_only=bool(raw.get("follow_only", False)),
            follow_depth=int(raw.get("follow_depth", 0)),
            database_url=raw.get("database_url"),
            time_zone=str(raw.get("time_zone") or DEFAULT_TIME_ZONE),
            language=str(raw.get("language") or "en"),
            shared_login=bool(raw.get("shared_login", True)),
            public_url=raw.get("public_url"),
            subscribe=tuple(raw.get("subscribe", ())),
            extra={k: v for k, v in raw.items() if k not in known},
        )

    def save(self, settings: Settings) -> None:
        _write_private(self.settings_file, settings.to_json().encode())

    def add_peer(self, url: str) -> Settings:
        """Record a peer URL (idempotent) and return the new settings."""
        settings = self.settings()
        if url not in settings.peers:
            settings = replace(settings, peers=(*settings.peers, url))
            self.save(settings)
        return settings

    def remove_peer(self, url: str) -> Settings:
        """Forget a peer URL (nothing happens if it is not one) and return the new settings."""
        settings = self.settings()
        if url in settings.peers:
            settings = replace(settings, peers=tuple(p for p in settings.peers if p != url))
            self.save(settings)
        return settings

    def update(self, **changes: object) -> Settings:
        """Save the settings with `changes` (name, time_zone, shared_login) and return them."""
        settings = replace(self.settings(), **changes)
        self.save(settings)
        return settings

    def set_password(self, password: str) -> None:
        """Store a web password hash for logging in to the node's page."""
        if len(password) < 8:
            raise ConfigError("the password must have at least 8 characters", field="password")
        self.save(replace(self.settings(), password_hash=hash_password(password)))
