"""Readers and writers: GasLib XML, GasModels matgas, pandapipes nets, GeoJSON, own format.

:func:`read` and :func:`write` choose the format from the file suffix:

==================  ===========================================================
``.net``            GasLib network (with optional ``scenario=`` ``.scn`` and ``.cs``)
``.m``              GasModels.jl matgas
``.json``           the own format (``"format": "gasunion-network"``) or a pandapipes
                    net saved with ``pandapipes.to_json`` (needs pandapipes)
``.geojson``        GeoJSON export (write only)
==================  ===========================================================
"""

from __future__ import annotations

from pathlib import Path

from gasunion.io.errors import InputFileError
from gasunion.network import Network

__all__ = ["InputFileError", "read", "write"]


def _sniff_json(path: Path) -> str:
    """``"pandapipes"`` for a pandapipes/pandapower JSON net, else ``"native"`` (whose reader
    explains what is wrong with a file that is neither)."""
    try:
        with path.open("r", encoding="utf-8-sig", errors="replace") as fh:
            head = fh.read(65536)
    except OSError as exc:
        raise InputFileError(f"cannot open: {exc.strerror}", path=str(path)) from None
    if "pandapowerNet" in head or "pandapipesNet" in head:
        return "pandapipes"
    return "native"


def read(
    path: str | Path,
    scenario: str | Path | None = None,
    compressor_stations: str | Path | None = None,
) -> Network:
    """Read a network; the format follows from the suffix (see module docs).

    ``scenario`` (GasLib ``.scn``) and ``compressor_stations`` (GasLib ``.cs``) apply to GasLib
    networks only. Bad files raise :class:`InputFileError` naming file, line/element and field.
    """
    p = Path(path)
    if not p.exists():
        raise InputFileError("file not found", path=str(p))
    suffix = p.suffix.lower()
    if suffix != ".net" and (scenario is not None or compressor_stations is not None):
        raise InputFileError("scenario/compressor-station files apply to GasLib .net networks",
                             path=str(p))
    if suffix == ".net":
        from gasunion.io.gaslib import read_gaslib

        cs = compressor_stations
        if cs is None:
            guess = p.with_suffix(".cs")
            cs = guess if guess.exists() else None
        return read_gaslib(p, scenario=scenario, compressor_stations=cs)
    if suffix == ".m":
        from gasunion.io.matgas import read_matgas

        return read_matgas(p)
    if suffix == ".json":
        kind = _sniff_json(p)
        if kind == "pandapipes":
            from gasunion.io.pandapipes import read_pandapipes_json

            return read_pandapipes_json(p)
        from gasunion.io.native import read_native

        return read_native(p)
    raise InputFileError(
        f"unknown network format {p.suffix!r}; supported: .net (GasLib), .m (matgas), "
        ".json (gasunion or pandapipes)",
        path=str(p),
    )


def write(net: Network, path: str | Path) -> None:
    """Write ``net``: ``.json`` (own, lossless), ``.geojson`` (GIS export) or ``.net`` (GasLib
    XML, plus a ``.scn`` scenario next to it when the network has set-points; see
    :func:`gasunion.io.gaslib_writer.write_gaslib` for what GasLib cannot hold)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".json":
        from gasunion.io.native import write_native

        write_native(net, p)
    elif suffix == ".geojson":
        from gasunion.io.geojson import write_geojson

        write_geojson(net, p)
    elif suffix == ".net":
        from gasunion.io.gaslib_writer import write_gaslib

        write_gaslib(net, p)
    else:
        raise ValueError(
            f"cannot write {p.name!r}: supported output formats are .json (gasunion), "
            ".geojson and .net (GasLib)"
        )
