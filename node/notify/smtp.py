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


def smtp_from_env() -> SmtpConfig | None:
    """Return the SMTP settings of `$SOLNET_SMTP_URL`, or None when it is not set (the node then sends no mail)."""
    url = os.environ.get(SMTP_URL_ENV, "").strip()
    return parse_smtp_url(url) if url else None


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
