"""ganlib.core.interrupts: SIGINT and SIGTERM become a flag, then the old handlers come back."""

from __future__ import annotations

import os
import signal
import threading

from ganlib.core.interrupts import StopRequest


def test_signals_set_the_flag_instead_of_stopping_the_process() -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with StopRequest() as stop:
        assert stop.reason is None
        os.kill(os.getpid(), signal.SIGTERM)  # would end the process with the default handler
        os.kill(os.getpid(), signal.SIGINT)  # would raise KeyboardInterrupt
        for _ in range(1000):  # Python runs the handlers between bytecodes
            if stop.count == 2:
                break
        assert stop.reason == "SIGTERM"  # the first one wins
        assert stop.count == 2
    assert {s: signal.getsignal(s) for s in before} == before


def test_a_request_by_code_and_outside_the_main_thread() -> None:
    found = {}
    before = signal.getsignal(signal.SIGINT)  # default_int_handler, or SIG_IGN under `cmd &`

    def worker() -> None:
        with StopRequest() as stop:
            found["handler"] = signal.getsignal(signal.SIGINT)
            stop.request("KeyboardInterrupt")
            found["reason"] = stop.reason

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert found["handler"] is before  # nothing installed off the main thread
    assert found["reason"] == "KeyboardInterrupt"
