"""A silent HiGHS instance.

highspy's C++ constructor prints a licence banner on the process's standard output (file
descriptor 1) before any option can be set; that would corrupt ``--json`` output and
pipelines. :func:`new_highs` constructs the solver with descriptor 1 pointed at the null
device, then switches HiGHS' own output off.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["new_highs", "stdout_silenced"]


@contextmanager
def stdout_silenced(target: int | None = None) -> Iterator[None]:
    """Point file descriptor 1 at ``target`` (default: the null device) inside the block."""
    sys.stdout.flush()
    saved = os.dup(1)
    sink = os.open(os.devnull, os.O_WRONLY) if target is None else target
    try:
        os.dup2(sink, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        if target is None:
            os.close(sink)


def new_highs(**options: Any) -> Any:
    """``highspy.Highs()`` without its banner, ``output_flag`` off, then ``options`` set."""
    import highspy

    try:
        with stdout_silenced():
            h = highspy.Highs()
    except OSError:  # no file descriptors to juggle (embedded interpreters): accept the banner
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for key, value in options.items():
        h.setOptionValue(key, value)
    return h
