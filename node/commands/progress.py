"""Progress of a long command on stderr: a bar on a terminal, a plain line every few seconds otherwise (logs, CI)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

PLAIN_EVERY_S = 5.0


class Progress:
    """Reports `done` of `total` units of one task at a time; `close` ends it. Never writes to stdout."""

    def __init__(self, stream: TextIO | None = None, *, bar: bool | None = None, every: float = PLAIN_EVERY_S):
        self.stream = stream or sys.stderr
        self.bar = self.stream.isatty() if bar is None else bar
        self.every = every
        self._rich = None
        self._task = None
        self._label = ""
        self._total = 0
        self._started = 0.0
        self._last = 0.0

    def start(self, label: str, total: int) -> None:
        """Begin a task of `total` units (bytes, events) named `label`."""
        self.close()
        self._label, self._total = label, max(total, 1)
        self._started = self._last = time.monotonic()
        if self.bar:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

            self._rich = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[note]}"),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
            )
            self._rich.start()
            self._task = self._rich.add_task(label, total=self._total, note="")

    def update(self, done: int, note: str = "") -> None:
        """Report that `done` units are finished; `note` says what that means (e.g. events stored)."""
        if self._rich is not None:
            self._rich.update(self._task, completed=done, note=note)
            return
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            self._line(done, note)

    def close(self, done: int | None = None, note: str = "") -> None:
        """End the current task (a last plain line says where it ended)."""
        if self._rich is not None:
            if done is not None:
                self._rich.update(self._task, completed=done, note=note)
            self._rich.stop()
            self._rich = None
        elif self._label and done is not None:
            self._line(done, note)
        self._label = ""

    def _line(self, done: int, note: str) -> None:
        elapsed = time.monotonic() - self._started
        share = 100 * min(done, self._total) // self._total
        print(f"{self._label}: {share}% {note} ({elapsed:.0f} s)".rstrip(), file=self.stream, flush=True)
