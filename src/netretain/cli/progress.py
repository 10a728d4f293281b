"""Rich progress bars for long steps, fed by the library's step callbacks."""

from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from netretain.cli.render import err_console
from netretain.ledger.ingest import Step


@contextmanager
def steps(enabled: bool = True) -> Iterator[Step | None]:
    """A step callback that shows one bar per step: reading, checking and storing each file, then
    building the ledger; each bar follows the engine's own progress where it reports one.
    Piped or redirected output (stderr not a terminal) gets no bars: they are noise in a log."""
    if not enabled or not err_console.is_terminal:
        yield None
        return
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )
    current: list[TaskID] = []

    def step(name: str):
        if current:
            progress.update(current[-1], completed=progress.tasks[current[-1]].total or 1)
        task = progress.add_task(name, total=None)
        current.append(task)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return advance

    with progress:
        yield step
        if current:
            task = progress.tasks[current[-1]]
            progress.update(current[-1], total=task.total or 1, completed=task.total or 1)
