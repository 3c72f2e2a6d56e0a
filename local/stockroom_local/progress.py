"""Progress of a long command: a rich progress bar on a terminal, plain lines anywhere else.

A log or CI output has no use for a redrawn bar (it would be thousands of carriage returns), so without a
terminal the same figures (rows done, rate, time left) are printed as a line every few seconds.
"""

from __future__ import annotations

import time
from typing import IO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichProgress

PLAIN_EVERY_SECONDS = 2.0


class Progress:
    def __init__(self, out: IO[str], plain_every: float = PLAIN_EVERY_SECONDS) -> None:
        self.out = out
        self.plain_every = plain_every
        self.bar: RichProgress | None = None
        self.task: TaskID | None = None
        self.label = ""
        self.total: int | None = None
        self.done = 0
        self.started = self.last_line = time.monotonic()
        if out.isatty():
            self.bar = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("rows"),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(file=out),
                refresh_per_second=8,
            )
            self.bar.start()

    def start(self, label: str, total: int | None) -> None:
        """A new phase: `total` units (None while unknown, e.g. reading a store page by page)."""
        self._line(final=True)
        self.label, self.total, self.done = label, total, 0
        self.started = self.last_line = time.monotonic()
        if self.bar is not None:
            if self.task is not None:
                self.bar.remove_task(self.task)
            self.task = self.bar.add_task(label, total=total, rate="")

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def advance(self, units: int) -> None:
        self.done += units
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, advance=units, rate=f"{self.rate():,.0f} rows/s")
        elif time.monotonic() - self.last_line >= self.plain_every:
            self._line()

    def _line(self, final: bool = False) -> None:
        if self.bar is not None or not self.label or (final and not self.done):
            return
        rate = self.rate()
        text = f"{self.label}: {self.done:,}"
        if self.total is not None:
            left = (self.total - self.done) / rate if rate > 0 else float("inf")
            text += f"/{self.total:,} rows, {rate:,.0f} rows/s, ETA {left:,.0f} s"
        else:
            text += f" rows, {rate:,.0f} rows/s"
        print(text, file=self.out, flush=True)
        self.last_line = time.monotonic()

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
        else:
            self._line(final=True)
        self.label = ""
