"""Progress bars for every step that takes more than a few seconds (rich, quiet when not a terminal)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class _Bar:
    def __init__(self, prog: Progress | None, task: TaskID | None) -> None:
        self._prog, self._task = prog, task

    def advance(self, n: int = 1) -> None:
        if self._prog is not None and self._task is not None:
            self._prog.advance(self._task, n)

    def update(self, **fields: object) -> None:
        if self._prog is not None and self._task is not None:
            self._prog.update(self._task, **fields)  # type: ignore[arg-type]


@contextmanager
def progress(*, total: int | None, description: str, enabled: bool | None = None) -> Iterator[_Bar]:
    """A progress bar on stderr; disabled automatically when stderr is not a terminal."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield _Bar(None, None)
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=False) as prog:
        yield _Bar(prog, prog.add_task(description, total=total))
