"""Running training from the command line (``train`` and ``resume``): Ctrl+C handling, progress and the result."""

from __future__ import annotations

import argparse
import io
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from cnnstudio.cli.exit_codes import EXIT_OK
from cnnstudio.cli.format import TrainingPrinter, finished_summary, format_finished, json_line


class StopOnInterrupt:
    """First Ctrl+C asks the trainer to stop (the run is saved as cancelled); the second aborts."""

    def __init__(self, err: Any) -> None:
        self.event = threading.Event()
        self.err = err
        self._previous: Any = None

    def __enter__(self) -> StopOnInterrupt:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum: int, frame: Any) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt
        self.event.set()
        print("\ncnnstudio: stopping (press Ctrl+C again to abort)", file=self.err, flush=True)

    def requested(self) -> bool:
        return self.event.is_set()


def run_training(args: argparse.Namespace, start: Callable[..., Any]) -> int:
    """Call ``start(observers=, stop_requested=, batch_event_every=)`` with a progress printer, print the result.

    Under torchrun only rank 0 speaks; the other processes train quietly.
    """
    from cnnstudio.core.train.distributed import world_from_environment

    if not world_from_environment().is_main:
        with StopOnInterrupt(io.StringIO()) as stop:  # rank 0 says "stopping" for all
            start(observers=(), stop_requested=stop.requested, batch_event_every=10)
        return EXIT_OK
    out = sys.stderr if args.json else sys.stdout
    printer = TrainingPrinter(out=out, err=sys.stderr, progress=not args.no_progress)
    try:
        with StopOnInterrupt(sys.stderr) as stop:
            # A batch event per batch feeds the progress bar (tqdm redraws at most 10 times a second).
            every = 1 if printer.progress else 10
            finished = start(observers=(printer,), stop_requested=stop.requested, batch_event_every=every)
    finally:
        printer.close()
    print(format_finished(finished), file=out)
    if args.json:
        print(json_line(finished_summary(finished)))
    return EXIT_OK
