"""The import's decoding process: frames and decodes a (checked) bundle beside the store's writer, not in its interpreter.

`solnet import` used to decode the bundle on the event loop's thread while the writer thread stored the previous
batch; both are mostly Python, so they took turns on one GIL. Here a child process (`python -m
node.commands.bundle_decoder FILE`, which imports only the events package) reads the file, frames each item and
decodes it in full (events.bundle.BundleReader: canonical header, event id, payload digest), and hands the parent
the parts in compact column batches (a few lists of bytes: cheap to pickle); the parent only rebuilds the Event
values from them (events.event.event_from_checked), without checking or hashing anything again. Signatures are not
verified here: that stays in the one ingest decision the writer applies (events/ingest.py).

Messages on the child's stdout, each a 4-byte little-endian length and a pickle, in bundle order (the events
before any other item are sent before it):
- ("events", offset, indexes, headers, signatures, payloads, ids): up to STEP events and the bytes framed so far;
- ("fork", offset, index, proof bytes): a fork proof item, encoded canonically;
- ("bad", offset, index, message): a framed item that is not an event or fork proof;
- ("end", offset, CPU seconds the child used) once the bundle is read, or ("error", offset, message) if reading failed.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import events
from events import Event, EventError
from events.bundle import BadItem, BundleReader
from events.event import event_from_checked
from events.fork import ForkProof, decode_fork_proof, encode_fork_proof

STEP = 2_000  # events per message: small enough that the child keeps decoding while the parent takes one in
AHEAD = 20  # messages taken off the pipe and not yet asked for (~40,000 events, ~25 MB for the bench's mix)
READ_BLOCK = 1 << 16
_LENGTH = struct.Struct("<I")


@dataclass(frozen=True, slots=True)
class Decoded:
    """What one message carries to the parent: events with their item indexes, or one other item."""

    offset: int
    events: list[tuple[int, Event]]
    item: ForkProof | BadItem | None = None


class DecoderError(Exception):
    """The decoding process could not read the bundle (or died); the message says why."""


def _decode(path: str, out: BinaryIO) -> None:
    """Run in the child: write the bundle's items to `out` as the module docstring describes."""

    def send(message: tuple) -> None:
        data = pickle.dumps(message, protocol=5)
        out.write(_LENGTH.pack(len(data)))
        out.write(data)
        out.flush()

    offset = 0
    try:
        reader = BundleReader(_chunks(path), check_trailer=False)
        indexes: list[int] = []
        headers: list[bytes] = []
        signatures: list[bytes] = []
        payloads: list[bytes | None] = []
        ids: list[bytes] = []

        def flush() -> None:
            send(("events", reader.offset, indexes, headers, signatures, payloads, ids))
            for column in (indexes, headers, signatures, payloads, ids):
                column.clear()

        for index, item in reader.items():
            offset = reader.offset
            if type(item) is Event:
                indexes.append(index)
                headers.append(item.header_bytes)
                signatures.append(item.signature)
                payloads.append(item.payload)
                ids.append(item.id)
                if len(ids) >= STEP:
                    flush()
                continue
            if ids:  # the events before it first: the import stores them (batch by batch) before it takes this item
                flush()
            if isinstance(item, ForkProof):
                send(("fork", offset, index, encode_fork_proof(item)))
            else:
                send(("bad", offset, item.index, str(item.error)))
        if ids:
            flush()
        send(("end", reader.offset, time.process_time()))
    except BrokenPipeError:  # the parent stopped reading (it failed or was interrupted): nothing to tell
        pass
    except (EventError, OSError) as exc:
        with contextlib.suppress(OSError):
            send(("error", offset, str(exc)))


def _chunks(path: str) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        while block := fh.read(READ_BLOCK):
            yield block


class BundleDecoder:
    """A child process decoding one bundle; `next()` returns its messages in order (blocking), None after the last.

    A thread takes the child's messages off the pipe as they come, holding up to AHEAD of them (~AHEAD * STEP
    events), so the child decodes that far ahead while the parent does other work (the integrity check, a batch).
    """

    def __init__(self, path: str):
        # the child imports this very code: the directory holding the events and node packages goes first on its path
        root = str(Path(events.__file__).resolve().parent.parent)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "node.commands.bundle_decoder", path],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            env=env,
        )
        self._messages: queue.Queue[bytes | None] = queue.Queue(maxsize=AHEAD)
        self._receiver = threading.Thread(target=self._receive, name="import-decoder-pipe", daemon=True)
        self._receiver.start()
        self._done = False
        self.offset = 0
        self.cpu_seconds: float | None = None  # the child's, once it has read the whole bundle

    def _receive(self) -> None:
        pipe = self._process.stdout
        assert pipe is not None
        try:
            while len(head := pipe.read(_LENGTH.size)) == _LENGTH.size:
                (length,) = _LENGTH.unpack(head)
                data = pipe.read(length)
                if len(data) != length:
                    break
                self._messages.put(data)
        except (OSError, ValueError):  # the pipe was closed under us (close() after a kill)
            pass
        self._messages.put(None)  # the child ended (after its last message, or killed)

    def next(self) -> Decoded | None:
        """Return the next message as a Decoded (events rebuilt without checks), or None once the bundle is read."""
        if self._done:
            return None
        data = self._messages.get()
        if data is None:
            self._done = True
            raise DecoderError(f"the decoding process ended before the end of the bundle (exit status {self._process.wait()})")
        message = pickle.loads(data)
        tag, self.offset = message[0], message[1]
        if tag == "events":
            _, _, indexes, headers, signatures, payloads, ids = message
            pairs = list(zip(indexes, map(event_from_checked, headers, signatures, payloads, ids), strict=True))
            return Decoded(self.offset, pairs)
        if tag == "fork":
            return Decoded(self.offset, [], decode_fork_proof(message[3]))
        if tag == "bad":
            return Decoded(self.offset, [], BadItem(message[2], EventError(message[3])))
        self._done = True
        if tag == "error":
            raise DecoderError(f"reading the bundle failed after byte {self.offset}: {message[2]}")
        self.cpu_seconds = round(message[2], 3)
        return None

    def close(self) -> float | None:
        """Stop the child if it still runs and release the pipe; return the CPU seconds it used (None if it did not finish)."""
        if self._process.poll() is None:
            self._process.kill()
        while self._receiver.is_alive():  # it ends at the pipe's end; make room for its last put
            with contextlib.suppress(queue.Empty):
                self._messages.get(timeout=0.05)
        self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        return self.cpu_seconds


if __name__ == "__main__":
    _decode(sys.argv[1], sys.stdout.buffer)
