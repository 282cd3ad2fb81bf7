"""Ctrl-C and SIGTERM as a request to stop at the next iteration boundary (notebooks 02-04).

Python turns Ctrl-C (SIGINT) into a ``KeyboardInterrupt`` raised wherever the program happens to
be: in the middle of an optimiser step, or of writing a checkpoint. SIGTERM (what ``kill``,
``systemd`` or a batch system sends) ends the process at once. Either way the state of a run
is lost or half-updated. Inside :class:`StopRequest` both signals only set a flag; the training
loop checks it between iterations, saves, and returns. Further signals while it is saving are
counted and otherwise ignored, so a second Ctrl-C cannot cut a save short (SIGKILL still can:
that is what the atomic writes of :mod:`ganlib.core.files` are for).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any

#: The signals a training run turns into a stop request.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """Context manager: while active, SIGINT and SIGTERM set :attr:`reason` instead of stopping.

    Outside the main thread (where Python cannot install signal handlers) it installs nothing
    and only :meth:`request` sets the flag. The previous handlers are restored on exit.

    Attributes
    ----------
    reason : str or None
        ``"SIGINT"``, ``"SIGTERM"`` or the text given to :meth:`request`; ``None`` until then.
    count : int
        How many stop requests arrived (a second Ctrl-C during a save adds one).
    """

    def __init__(self) -> None:
        self.reason: str | None = None
        self.count = 0
        self._previous: dict[int, Any] = {}

    def request(self, reason: str) -> None:
        """Ask the loop to stop at the next iteration boundary."""
        self.count += 1
        if self.reason is None:
            self.reason = reason

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        # Only set the flag: printing from a signal handler can fail while the interrupted
        # code is itself printing (a re-entrant write on the same stream).
        self.request(signal.Signals(signum).name)

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            for sig in STOP_SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()
