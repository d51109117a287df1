"""The SMTP server the operator chose (`SOLNET_SMTP_URL`), and sending one message to it with aiosmtplib.

smtp://user:password@mail.example.org:587?from=alerts@example.org    STARTTLS when the server offers it
smtp+starttls://…                                                    STARTTLS required
smtps://…:465                                                        TLS from the first byte
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from ..errors import ConfigError

SMTP_URL_ENV = "SOLNET_SMTP_URL"
SMTP_SETTING = "smtp_url"
"""The key in the data dir's settings (node.json, 0600) where an admin's choice on the Settings page is kept."""
SMTP_TIMEOUT_S = 20.0
_SCHEMES = {"smtp": (False, None), "smtp+starttls": (False, True), "smtps": (True, False)}


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """Where and how to hand mail over: host, port, TLS from the start or STARTTLS, login, and the From address."""

    host: str
    port: int
    sender: str
    use_tls: bool = False
    start_tls: bool | None = None  # None: when the server offers it
    username: str | None = None
    password: str | None = None
    timeout: float = SMTP_TIMEOUT_S

    def __repr__(self) -> str:  # (never the password, in logs)
        return f"SmtpConfig({self.host}:{self.port}, from {self.sender})"


def parse_smtp_url(url: str) -> SmtpConfig:
    """Return the SMTP settings an `smtp://`, `smtp+starttls://` or `smtps://` URL names; raise ConfigError naming it."""
    parts = urlsplit(url.strip())
    if parts.scheme not in _SCHEMES or not parts.hostname:
        example = "smtp://user:password@host:587?from=alerts@example.org"
        raise ConfigError(f"${SMTP_URL_ENV} must look like {example}", field=SMTP_URL_ENV)
    use_tls, start_tls = _SCHEMES[parts.scheme]
    try:
        port = parts.port or (465 if use_tls else 587)
    except ValueError:
        raise ConfigError(f"${SMTP_URL_ENV} has a port that is not a number", field=SMTP_URL_ENV) from None
    query = parse_qs(parts.query)
    user = unquote(parts.username) if parts.username else None
    sender = (query.get("from") or [""])[0] or (user if user and "@" in user else f"solnet@{parts.hostname}")
    return SmtpConfig(
        host=parts.hostname,
        port=port,
        sender=sender,
        use_tls=use_tls,
        start_tls=start_tls,
        username=user,
        password=unquote(parts.password) if parts.password else None,
    )


def current_smtp(settings_extra: dict) -> SmtpConfig | None:
    """Return the SMTP server to use now: `$SOLNET_SMTP_URL` if set, else the one an admin saved in Settings, else None."""
    url = os.environ.get(SMTP_URL_ENV, "").strip() or str(settings_extra.get(SMTP_SETTING) or "").strip()
    if not url:
        return None
    try:
        return parse_smtp_url(url)
    except ConfigError:  # (checked when saved; a hand-edited file that is wrong sends nothing)
        return None


def describe(config: SmtpConfig | None) -> str:
    """Return how mail goes out, for the Settings page (never the password)."""
    if config is None:
        return "no mail is sent"
    how = "TLS" if config.use_tls else "STARTTLS" if config.start_tls else "STARTTLS when offered"
    login = f", as {config.username}" if config.username else ""
    return f"through {config.host}:{config.port} ({how}{login}), from {config.sender}"


async def send(config: SmtpConfig, message: EmailMessage) -> None:
    """Hand one message to the server; raise aiosmtplib.SMTPException or OSError if it did not take it."""
    await aiosmtplib.send(
        message,
        hostname=config.host,
        port=config.port,
        username=config.username,
        password=config.password,
        use_tls=config.use_tls,
        start_tls=config.start_tls,
        timeout=config.timeout,
    )
