"""One app job (an export, a report) in a spawned child process, its answer collected without blocking.

    job = JobProcess("export", export_job, run_dir, "onnx", out=path)
    job.start()
    ...                              # on a timer, never blocking:
    outcome = job.poll()             # None while it runs, then one JobOutcome
    job.kill()                       # ends the child at once (the window closes); poll() then stays None
    job.close()

A job runs in a child process because the exporters and the evaluation hold
the GIL for seconds, which would freeze the caller's (the GUI's) thread. The
job is a module-level function, sent by name like the arguments (plain
values, paths); its return value comes back pickled over a one-way pipe,
read on a thread of its own so a child stopped mid-message never blocks the
caller. A ``CNNStudioError`` or ``OSError`` comes back as its message for
people; any other exception (a bug) as a one-line message plus its traceback
for the log; a child that dies without answering (killed, out of memory)
says so with its exit code. This module imports neither torch nor Qt.
"""

from __future__ import annotations

import multiprocessing
import queue
import signal
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from cnnstudio.core.atomic import describe_os_error
from cnnstudio.core.errors import CNNStudioError
from cnnstudio.core.shorten import shorten

MESSAGE_LIMIT = 300  # characters of an unexpected exception's text shown on its one line
_END = object()  # put in the inbox once the child's pipe is closed


@dataclass(frozen=True)
class JobOutcome:
    """What a job ended with: its return value, or a one-line error (and, for a bug, the traceback)."""

    result: Any = None
    error: str = ""  # "" when the job returned
    traceback: str = ""  # only for an unexpected exception: the child's traceback, for the log

    @property
    def ok(self) -> bool:
        return not self.error


def run_job(job: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> JobOutcome:
    """Call ``job(*args, **kwargs)`` and turn what happens into a JobOutcome (never raises an Exception)."""
    try:
        return JobOutcome(result=job(*args, **kwargs))
    except CNNStudioError as error:
        return JobOutcome(error=str(error))
    except OSError as error:  # disk full, read-only folder: the person's to fix
        return JobOutcome(error=describe_os_error(error))
    except MemoryError:
        return JobOutcome(error="out of memory: use fewer or smaller images or a smaller model")
    except Exception as error:  # noqa: BLE001 - a bug: one line for people, the traceback for the log
        return JobOutcome(error=_internal(error), traceback=traceback.format_exc())


class JobProcess:
    """``job(*args, **kwargs)`` in a spawned child; ``poll()`` hands its outcome to the caller's thread."""

    def __init__(self, title: str, job: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.title = title  # what the job is, in messages: "the export process stopped..."
        self._job, self._args, self._kwargs = job, args, kwargs
        self._process: multiprocessing.process.BaseProcess | None = None
        self._inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._answered = False
        self._killed = False

    def start(self) -> None:
        """Start the child; returns at once (the child needs a few seconds to import torch)."""
        if self._process is not None:
            raise RuntimeError("this JobProcess was already started; make a new one for another job")
        context = multiprocessing.get_context("spawn")
        reader, writer = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_child_main, args=(writer, self._job, self._args, self._kwargs), name=f"cnnstudio-{self.title}",
            daemon=True,
        )
        self._process.start()
        writer.close()  # the child holds its own copy: its death reads as end-of-file
        threading.Thread(target=self._read, args=(reader,), name=f"cnnstudio-{self.title}-answer", daemon=True).start()

    @property
    def is_alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def poll(self) -> JobOutcome | None:
        """The outcome once the job has answered or its child has died, exactly once; else None."""
        if self._answered or self._killed or self._process is None:
            return None
        try:
            message = self._inbox.get_nowait()
        except queue.Empty:
            return None
        self._answered = True
        if message is _END:  # the pipe closed without an answer
            self._process.join(1)  # its pipe is closed: it is exiting, so the exit code is due
            return JobOutcome(error=f"the {self.title} process stopped before it finished "
                                    f"(exit code {self._process.exitcode})")
        return message

    def kill(self) -> None:
        """End the child at once (SIGKILL); no outcome follows."""
        self._killed = True
        if self._process is not None and self._process.is_alive():
            self._process.kill()

    def close(self, timeout: float = 3.0) -> None:
        """Wait up to ``timeout`` seconds for the child to end (after ``kill()`` or its answer) and reap it."""
        if self._process is not None:
            self._process.join(timeout)

    def _read(self, reader: Connection) -> None:
        try:
            while True:
                try:
                    message = reader.recv()
                except (EOFError, OSError):
                    self._inbox.put(_END)
                    return
                except Exception as error:  # noqa: BLE001 - an answer that cannot be unpickled is a bug
                    message = JobOutcome(error=_internal(error), traceback=traceback.format_exc())
                self._inbox.put(message)
        finally:
            reader.close()


def _internal(error: BaseException) -> str:
    return f"internal error: {type(error).__name__}: {shorten(str(error), MESSAGE_LIMIT)}"


def _child_main(connection: Connection, job: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """The child's entry point: run the job and send its outcome."""
    # Ctrl+C in the GUI's terminal reaches the whole process group; the GUI decides.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    outcome = run_job(job, args, kwargs)
    try:
        connection.send(outcome)
    except Exception as error:  # noqa: BLE001 - a result that cannot be pickled is a bug
        connection.send(JobOutcome(error=_internal(error), traceback=traceback.format_exc()))
    finally:
        connection.close()
