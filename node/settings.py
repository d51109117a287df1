"""The node's settings as the running node sees them: peers added at run time, credentials read again on change;
and the limits its HTTP edge applies to every client (`EdgeLimits`, from the environment)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from .datadir import DataDir, Settings
from .errors import ConfigError


class SettingsKeeper:
    """Holds the node's current settings; the one place a peer is added and the credentials are reloaded."""

    def __init__(self, settings: Settings, data_dir: DataDir | None = None):
        self._settings = settings
        self.data_dir = data_dir
        self._stamp = self._file_stamp()

    @classmethod
    def of(cls, data_dir: DataDir) -> SettingsKeeper:
        """Return a keeper of the settings saved in `data_dir` (raise ConfigError if it holds no node)."""
        return cls(data_dir.settings(), data_dir)

    @property
    def current(self) -> Settings:
        """Return the settings as they are now (a frozen value; change them only through this keeper's verbs)."""
        return self._settings

    def add_peer(self, url: str, *, persist: bool = True) -> Settings:
        """Add a peer URL (trailing slash dropped; idempotent), saved in the data dir if `persist`; return the settings.

        `solnet serve --peer` passes `persist=False`: peers given on the command line are for that run only.
        """
        url = url.rstrip("/")
        if persist and self.data_dir is not None:
            self._settings = self.data_dir.add_peer(url)
        elif url not in self._settings.peers:
            self._settings = replace(self._settings, peers=(*self._settings.peers, url))
        return self._settings

    def credentials(self) -> Settings:
        """Return the settings to check an API token or web password against, and the name and time zone to show.

        Those (token and password hashes, whether they log in, name, time zone) are read again from the data dir
        when its settings file changed, so `solnet passwd` or a change made by another process takes effect on a
        running node at once (a stat per call; the file is replaced atomically).
        """
        stamp = self._file_stamp()
        if stamp is not None and stamp != self._stamp and self.data_dir is not None:
            try:
                fresh = self.data_dir.settings()
            except ConfigError:
                return self._settings  # (keep what was read last; the next call looks again)
            self._settings = replace(
                self._settings,
                name=fresh.name,
                token_hash=fresh.token_hash,
                password_hash=fresh.password_hash,
                time_zone=fresh.time_zone,
                language=fresh.language,
                shared_login=fresh.shared_login,
            )
            self._stamp = stamp
        return self._settings

    def update(self, **changes: object) -> Settings:
        """Change the name, time zone or shared login (saved in the data dir when there is one); return the settings."""
        if self.data_dir is not None:
            fresh = self.data_dir.update(**changes)
            self._settings = replace(self._settings, **{k: getattr(fresh, k) for k in changes})
            self._stamp = self._file_stamp()
        else:
            self._settings = replace(self._settings, **changes)
        return self._settings

    def reload_credentials(self) -> Settings:
        """Read the token and password hashes from the data dir now, whether or not the file's stamp moved."""
        self._stamp = None
        return self.credentials()

    def _file_stamp(self) -> int | None:
        if self.data_dir is None:
            return None
        try:
            return self.data_dir.settings_file.stat().st_mtime_ns
        except OSError:
            return None


@dataclass(frozen=True, slots=True)
class EdgeLimits:
    """What one client may hold of a node's HTTP edge, and for how long (docs/OPERATIONS.md, "Limits on clients")."""

    max_connections: int = 1024
    """Open connections in all (lowered to half the soft file-descriptor limit when that is smaller)."""
    max_connections_per_address: int = 128
    """Open connections from one remote address; more are answered 503 and closed at once."""
    max_requests_per_address: int = 64
    """Requests from one remote address being handled at once; more are answered 429."""
    header_timeout: float = 15.0
    """Seconds from a connection's opening (or its previous reply) to the end of its next request's headers."""
    body_timeout: float = 30.0
    """Seconds from the end of a request's headers to the end of its body; a slower client is dropped."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EdgeLimits:
        """Return the defaults, each overridden by $SOLNET_<NAME> (e.g. SOLNET_MAX_CONNECTIONS) when set; raise ConfigError."""
        environ = os.environ if environ is None else environ
        values: dict[str, float | int] = {}
        for f in fields(cls):
            text = environ.get(f"SOLNET_{f.name.upper()}")
            if text is None:
                continue
            kind = int if f.type in ("int", int) else float
            try:
                value = kind(text)
            except ValueError:
                value = 0
            if not value > 0:
                raise ConfigError(f"SOLNET_{f.name.upper()} must be a positive {kind.__name__}, not {text!r}", field=f.name)
            values[f.name] = value
        return cls(**values)
