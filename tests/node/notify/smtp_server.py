"""A real SMTP server on a loopback port (aiosmtpd, in its own thread), whose inbox the tests read."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    """One message the server took: when (monotonic), the envelope's recipients, and the parsed message."""

    at: float
    rcpt: list[str]
    message: EmailMessage


@dataclass
class Inbox:
    """What the server received, in order; `refuse` makes it answer every DATA with a temporary failure."""

    received: list[Received] = field(default_factory=list)
    refuse: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refuse:
            return "451 4.3.0 try again later"
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.received.append(Received(time.monotonic(), list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if address in r.rcpt]

    async def wait_for(self, address: str, count: int = 1, timeout: float = 10.0) -> list[Received]:
        """Wait until `address` has `count` messages; return them (fail after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while len(self.to(address)) < count:
            assert time.monotonic() < deadline, f"{address} got {len(self.to(address))} of {count} messages in {timeout} s"
            await asyncio.sleep(0.05)
        return self.to(address)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _authenticator(users: dict[str, str]):
    def check(server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and users.get(auth_data.login.decode()) == auth_data.password.decode()
        return AuthResult(success=ok, handled=False)

    return check


@contextmanager
def smtp_server(users: dict[str, str] | None = None) -> Iterator[tuple[Inbox, int]]:
    """Run an SMTP server on a free loopback port (requiring a login when `users` is given); yield its inbox and port."""
    inbox = Inbox()
    port = free_port()
    options = {}
    if users:
        options = {"authenticator": _authenticator(users), "auth_required": True, "auth_require_tls": False}
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
