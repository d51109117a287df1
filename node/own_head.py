"""Whether this node may sign its next event: it must not fork its own log after a restore (docs/OPERATIONS.md).

A node cannot tell from its own store whether the store is the newest copy of its group's log: a data dir
restored from last week's backup looks exactly like the original. So every process starts *unconfirmed*
and refuses to publish until a peer has answered a sync (which also pulls the group's own newer events
from it), unless the operator declared this copy the only one (`--i-am-the-only-copy`, or a key that this
very process generated). Even then, a publish whose seq a peer is known to hold is refused: `holders`,
installed by the federation, names a peer that said it holds our log at a seq.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import OwnHeadUnconfirmedError, SeqHeldByPeerError

ONLY_COPY_ENV = "SOLNET_I_AM_THE_ONLY_COPY"
"""Set to 1 to say, for every command of this environment, that this data dir is the only copy of the log."""

Holders = Callable[[int], "str | None"]


class OwnHead:
    """The "own head confirmed" state of one process; the writer consults `check` before signing."""

    def __init__(self, *, only_copy: bool = False):
        self.only_copy = only_copy
        self.confirmed_by: str | None = None
        self.confirmed_at: float | None = None
        self.asked: set[str] = set()
        self._holders: list[Holders] = []
        self.on_change: Callable[[], None] | None = None

    @property
    def confirmed(self) -> bool:
        """True iff a peer answered since start, or the operator said this is the only copy."""
        return self.only_copy or self.confirmed_by is not None

    def answered(self, peer: str) -> None:
        """Record that `peer` answered a complete sync (our own log is caught up with its copy)."""
        self.asked.add(peer)
        if self.confirmed_by is None:
            self.confirmed_by = peer
            self.confirmed_at = time.time()
            if self.on_change is not None:
                self.on_change()

    def failed(self, peer: str) -> None:
        """Record that `peer` was asked and did not answer (shown in the refusal message)."""
        self.asked.add(peer)

    def add_holders(self, holders: Holders) -> None:
        """Install a function that names a peer known to hold our event at a seq (or returns None)."""
        self._holders.append(holders)

    def remove_holders(self, holders: Holders) -> None:
        """Remove a function installed with `add_holders` (its federation stopped)."""
        if holders in self._holders:
            self._holders.remove(holders)

    def check(self, next_seq: int) -> None:
        """Raise unless the node may sign its event at `next_seq` now; nothing is stored either way."""
        if not self.confirmed:
            asked = ", ".join(sorted(self.asked)) or "none yet"
            raise OwnHeadUnconfirmedError(
                "publishing is paused until a peer confirms this node's own log is up to date (this data dir may be "
                f"a restored backup, and signing seq {next_seq} could fork the group's log). Peers asked without an "
                f"answer: {asked}. Make a peer reachable (solnet peer add URL), or, if this data dir is the only "
                "copy of the group's log, run with --i-am-the-only-copy",
                field="seq",
            )
        for holders in self._holders:
            peer = holders(next_seq)
            if peer is not None:
                raise SeqHeldByPeerError(
                    f"peer {peer} holds this group's event at seq {next_seq} and this node does not: publishing now "
                    "would fork the group's log. Wait until the node has caught up from its peers, then publish again",
                    field="seq",
                )

    def status(self) -> dict[str, Any]:
        """Return the state as JSON for GET /api/v1/node and `solnet status`."""
        return {
            "own_head": {
                "confirmed": self.confirmed,
                "only_copy": self.only_copy,
                "confirmed_by": self.confirmed_by,
                "confirmed_at": self.confirmed_at,
            }
        }


LOCK_FILE = "own-head.lock"
STATE_FILE = "own-head.json"


class ServingState:
    """Tells CLI commands on the same data dir whether the node serving it has its own head confirmed.

    The serving process holds an exclusive lock on `own-head.lock` for as long as it runs and keeps
    `own-head.json` current. A CLI command trusts that file only while the lock is held by someone else: the
    file in a restored backup (or left by a node that stopped) has no live holder, so it is ignored.
    """

    def __init__(self, data_dir: Path):
        self.lock_path = data_dir / LOCK_FILE
        self.state_path = data_dir / STATE_FILE
        self._fd: int | None = None

    def hold(self, own_head: OwnHead) -> bool:
        """Take the lock and publish `own_head`'s state while this process runs; False if another process holds it."""
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd

        def write() -> None:
            tmp = self.state_path.with_name(STATE_FILE + ".tmp")
            out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(out, "w") as f:
                f.write(json.dumps({**own_head.status()["own_head"], "pid": os.getpid()}))
            tmp.replace(self.state_path)

        write()
        own_head.on_change = write
        return True

    def release(self) -> None:
        """Give the lock up (the process ending does too)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def serving_state(self) -> dict[str, Any] | None:
        """Return the own-head state of the node now serving this data dir, or None if none serves it."""
        try:
            fd = os.open(self.lock_path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:  # held: a node serves this data dir right now, and its state file is current
            try:
                state = json.loads(self.state_path.read_text())
            except (OSError, ValueError):
                return None
            return state if isinstance(state, dict) else None
        finally:
            os.close(fd)
        return None

    def serving_confirmed_by(self) -> str | None:
        """Return who confirmed the head of the node now serving this data dir, or None (none serves, or unconfirmed)."""
        state = self.serving_state()
        if state is None:
            return None
        if state.get("only_copy"):
            return "the serving node (run as the only copy)"
        by = state.get("confirmed_by")
        return f"{by} (through the node serving this data dir)" if isinstance(by, str) else None
