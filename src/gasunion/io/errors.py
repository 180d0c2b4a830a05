"""Errors raised while reading input files.

Every reader in :mod:`gasunion.io` raises :class:`InputFileError` (a :class:`ValueError`) for
bad input, never a bare ``KeyError``/XML ``ParseError``/``ValueError`` traceback. The message
locates the problem as precisely as the format allows::

    GasLib-40.net, line 123, pipe 'p_5' field 'length': not a number: 'abc'
"""

from __future__ import annotations

import os
from typing import Any

from gasunion.errors import GasunionError


class InputFileError(GasunionError, ValueError):
    """A problem in an input file, located by path, line, element and field where known.

    Attributes
    ----------
    message: what is wrong (without the location).
    path: the file, as given to the reader.
    line: 1-based line number, or ``None`` if the format/reader cannot tell.
    element: the id of the offending element (e.g. ``"p_5"``), or ``None``.
    field: the attribute/column/child element at fault (e.g. ``"length"``), or ``None``.
    kind: the element's type as written in the file (e.g. ``"pipe"``, ``"source"``, a matgas
        table name); when given, the element is shown as ``pipe 'p_5'`` instead of
        ``element 'p_5'``.

    ``str(err)`` reads ``"path, line N, kind 'id' field 'name': message"``; parts that are not
    known are left out.
    """

    def __init__(
        self,
        message: str,
        path: str | os.PathLike[str] | None = None,
        line: int | None = None,
        element: str | None = None,
        field: str | None = None,
        kind: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.element = element
        self.field = field
        self.kind = kind

    def __str__(self) -> str:
        parts = []
        if self.path is not None:
            parts.append(os.fspath(self.path))
        if self.line is not None:
            parts.append(f"line {self.line}")
        where = []
        if self.element is not None:
            where.append(f"{self.kind or 'element'} {self.element!r}")
        elif self.kind is not None:
            where.append(self.kind)
        if self.field is not None:
            where.append(f"field {self.field!r}")
        if where:
            parts.append(" ".join(where))
        prefix = ", ".join(parts)
        return f"{prefix}: {self.message}" if prefix else self.message

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            type(self),
            (self.message, self.path, self.line, self.element, self.field, self.kind),
        )


def read_text(path: str | os.PathLike[str]) -> str:
    """The text of a UTF-8 file (a leading byte-order mark dropped). A file that cannot be
    read, or is not UTF-8, raises :class:`InputFileError`; for the latter ``line`` is the
    line of the first bad byte and the message names the byte."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise InputFileError(str(exc.strerror or exc), path=path) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"not UTF-8 text (byte {data[exc.start]:#04x}): save the file as "
                             "UTF-8", path=path, line=data[:exc.start].count(b"\n") + 1
                             ) from None
