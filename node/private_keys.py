"""The group's encryption keys for private events: X25519 secrets in the data dir (0600), newest last.

Kept apart from the signing key (identity.pem): losing or rotating one never touches the other. A rotation
appends a new key; the older ones stay, so events sealed to them still open (docs/KINDS.md, "Private events").
"""

from __future__ import annotations

import threading
from pathlib import Path

from events.errors import EventError
from events.sealed import EncryptionKeyPair

from .datadir import DataDir, _write_private
from .errors import ConfigError

KEYS_FILE = "encryption-keys"
MAX_KEYS = 100


class EncryptionKeys:
    """The key ring: every encryption key pair the group has had, the current one last; made on first use."""

    def __init__(self, data_dir: DataDir | None):
        self.path: Path | None = None if data_dir is None else data_dir.path / KEYS_FILE
        self._lock = threading.Lock()
        self._pairs: tuple[EncryptionKeyPair, ...] = ()
        self._stamp: int | None = None

    def pairs(self) -> tuple[EncryptionKeyPair, ...]:
        """Return every key pair, oldest first (made and saved if there is none yet; read again if the file changed,
        as after `solnet key encryption --rotate` while the node serves)."""
        with self._lock:
            stamp = self._mtime()
            if not self._pairs or stamp != self._stamp:
                self._pairs = self._load() or self._save((EncryptionKeyPair.generate(),))
                self._stamp = self._mtime()
            return self._pairs

    def _mtime(self) -> int | None:
        try:
            return None if self.path is None else self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return None

    @property
    def current(self) -> EncryptionKeyPair:
        """Return the key pair sealed events are sent to now (the one `key.encryption` publishes)."""
        return self.pairs()[-1]

    def rotate(self) -> EncryptionKeyPair:
        """Make a new current key pair (the older ones are kept to open older events) and return it."""
        pairs = self.pairs()
        if len(pairs) >= MAX_KEYS:
            raise ConfigError(f"the group has had {MAX_KEYS} encryption keys already", field="key")
        with self._lock:
            self._pairs = self._save((*pairs, EncryptionKeyPair.generate()))
            self._stamp = self._mtime()
            return self._pairs[-1]

    def restore(self, secrets: tuple[bytes, ...]) -> None:
        """Take the key ring from a recovery kit (`solnet key recover`): these secrets, newest last, and no other."""
        if secrets:
            with self._lock:
                self._pairs = self._save(tuple(EncryptionKeyPair.from_secret(s) for s in secrets))
                self._stamp = self._mtime()

    def _load(self) -> tuple[EncryptionKeyPair, ...]:
        if self.path is None or not self.path.exists():
            return ()
        try:
            return tuple(EncryptionKeyPair.from_secret(bytes.fromhex(line)) for line in self.path.read_text().split())
        except (ValueError, EventError) as exc:
            raise ConfigError(f"{self.path} is damaged: {exc}", field="key") from None

    def _save(self, pairs: tuple[EncryptionKeyPair, ...]) -> tuple[EncryptionKeyPair, ...]:
        if self.path is not None:
            _write_private(self.path, "".join(p.secret.hex() + "\n" for p in pairs).encode())
        return pairs
