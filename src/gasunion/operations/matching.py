"""Matching of nominations at interconnection points (IPs): a pure, vectorised engine.

The process follows Regulation (EU) 2015/703 (the interoperability and data exchange network
code, "INT NC"), Art. 8 (matching procedure), and ENTSOG's business requirements for the
nomination and matching process (Edig@s NOMINT -> DELORD -> DELRES -> NOMRES):

1. each TSO receives its shippers' (re)nominations for a gas day and IP, per shipper pair:
   the *processed quantities* (energy in kWh per gas day, or per hour for hourly
   nominations; Regulation (EU) 312/2014, the balancing network code, Art. 13);
2. the quantities of the two TSOs are compared per shipper pair. A row at ``tso`` is matched
   by the counter row with the **mirrored fields**: ``tso`` <-> ``counter_tso`` and
   ``shipper`` <-> ``counter_shipper`` swapped, the same ``gas_day``, ``ip`` (and ``hour``)
   and the opposite ``direction`` (an ``exit`` at one TSO matches an ``entry`` at the other);
3. the matched quantity follows the rule agreed in the interconnection agreement: the
   **lesser rule** by default (the lower of the two processed quantities, INT NC Art. 8(3)),
   else ``initiating`` (the initiating TSO's quantity) or ``matching`` (the matching TSO's).
   The initiating TSO is the one whose row has direction ``exit`` (the upstream TSO, whose
   gas leaves its system), unless an ``initiating_tso`` column names it;
4. a nomination without a counter-nomination confirms 0; the IP's capacity and any
   interruption reduce the matched quantities pro rata (default) or by priority; both
   shippers of a pair get the same confirmed quantity with the reason for any reduction
   (Edig@s NOMRES).

Renominations (Regulation (EU) 312/2014 Art. 15): with a ``version`` or ``timestamp``
column, a later nomination for the same key replaces the earlier; the last one up to
``as_of`` (default: all) counts.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gasunion.errors import GasunionError
from gasunion.io.errors import InputFileError, read_text

KEY = ["gas_day", "ip", "tso", "counter_tso", "shipper", "counter_shipper", "direction"]
REQUIRED = [*KEY, "quantity_kwh"]
OUTPUT = [*KEY, "nominated_kwh", "counter_nominated_kwh", "confirmed_kwh", "reason"]
RULES = ("lesser", "initiating", "matching")
REDUCTIONS = ("pro_rata", "priority")
DIRECTIONS = ("entry", "exit")
MAX_LISTED = 20  #: bad rows named in an error message (all of them are in ``problems``)


class NominationError(GasunionError, ValueError):
    """Bad nominations (or capacity rows): ``problems`` is a table ``line, column, problem``
    naming every bad row by its CSV line number (the header is line 1; for a DataFrame not
    read by :func:`read_nominations`, the row's index label)."""

    def __init__(self, what: str, problems: pd.DataFrame) -> None:
        self.problems = problems.reset_index(drop=True)
        self.what = what
        n = self.problems["line"].nunique()
        head = "; ".join(f"line {r.line}: {r.problem}" for r in
                         self.problems.head(MAX_LISTED).itertuples())
        more = f"; ... ({len(self.problems) - MAX_LISTED} more)" if len(
            self.problems) > MAX_LISTED else ""
        super().__init__(f"{what}: {n} bad row{'s' if n != 1 else ''}: {head}{more}")


# ------------------------------------------------------------------------------ reading
def read_nominations(path: str | Path) -> pd.DataFrame:
    """The nominations of a CSV file with the header
    ``gas_day,ip,tso,counter_tso,shipper,counter_shipper,direction,quantity_kwh`` (and
    optionally ``hour``, ``version`` or ``timestamp``, ``priority``, ``initiating_tso``).

    ``quantity_kwh`` is energy in kWh for the gas day (or for the hour with ``hour``, 0-24 in
    the gas day: 23 or 25 hours on daylight-saving days). The index is the CSV line number.
    Raises :class:`NominationError` naming every bad row (unknown direction, negative or
    non-numeric quantity, missing field, duplicate key, bad date) by its line number.
    """
    return _parse(_read_csv(path, "nominations"), "nominations", REQUIRED)


def _read_csv(path: str | Path, what: str) -> pd.DataFrame:
    """The CSV file as text columns; a file that is not CSV text (empty, broken quoting, a row
    with too many fields, not UTF-8) -> :class:`NominationError` naming the line where it
    can be told."""
    def fail(line: int, problem: str) -> NominationError:
        return NominationError(what, pd.DataFrame({"line": [line], "column": [""],
                                                   "problem": [problem]}))

    try:
        text = read_text(path)
    except InputFileError as exc:
        raise fail(exc.line or 0, exc.message) from None
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                           skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise fail(1, "the file is empty: no header line") from None
    except pd.errors.ParserError as exc:
        said = str(exc)
        m = re.search(r"(?:line|row) (\d+)", said)
        # pandas counts the header as line 1 in "line N" and data rows from 0 in "row N"
        line = int(m.group(1)) + (1 if m and m.group(0).startswith("row") else 0) if m else 0
        why = said.split(". C error: ")[-1]
        if "EOF inside string" in why:
            why = "a quoted field is not closed (a \" without its closing \")"
        raise fail(line, "not readable as CSV: " + why) from None


def _parse(df: pd.DataFrame, what: str, required: list[str]) -> pd.DataFrame:
    """Strip text, convert the numeric columns (bad values -> NaN, reported by the checks)."""
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise NominationError(what, pd.DataFrame({"line": 1, "column": missing, "problem": [
            f"missing column {c} (header must include {','.join(required)})" for c in missing]}))
    df.index = pd.RangeIndex(2, len(df) + 2, name="line")
    df = df.apply(lambda s: s.str.strip())
    bad = []
    if "gas_day" in df:
        day = pd.to_datetime(df["gas_day"], format="%Y-%m-%d", errors="coerce")
        wrong = day.isna() & (df["gas_day"] != "")
        bad.append(_rows(df, wrong, "gas_day", "gas_day is not a date YYYY-MM-DD"))
    for c in ("quantity_kwh", "capacity_kwh", "interruption_kwh", "hour", "version", "priority"):
        if c in df:
            raw = df[c]
            df[c] = pd.to_numeric(raw.replace("", np.nan), errors="coerce")
            if c in ("version", "priority", "interruption_kwh"):  # optional values
                bad.append(_rows(df, df[c].isna() & (raw != ""), c, f"{c} is not a number"))
    if "timestamp" in df:
        ts = pd.to_datetime(df["timestamp"].replace("", None), errors="coerce", utc=True,
                            format="ISO8601")
        bad.append(_rows(df, ts.isna(), "timestamp", "timestamp is missing or not ISO 8601"))
        df["timestamp"] = ts
    if "initiating_tso" in df:
        df["initiating_tso"] = df["initiating_tso"].replace("", None)
    extra = pd.concat(bad) if bad else None
    if what == "nominations":
        _validate(df, extra)
    return df


def _rows(df: pd.DataFrame, mask: Any, column: str, problem: Any) -> pd.DataFrame:
    mask = np.asarray(mask, dtype=bool)
    prob = problem[mask] if isinstance(problem, np.ndarray) and len(problem) == len(
        mask) else problem
    return pd.DataFrame({"line": df.index[mask], "column": column, "problem": prob})


def _factorize(*cols: Any) -> list[np.ndarray]:
    """Integer codes of one or more columns in one shared code space; missing or empty = -1."""
    codes, uniq = pd.factorize(np.concatenate([np.asarray(c, dtype=object) for c in cols]))
    empty = np.flatnonzero(np.asarray(uniq, dtype=object) == "")
    if len(empty):
        codes[codes == empty[0]] = -1
    return np.split(codes.astype(np.int64), len(cols))


def _check(df: pd.DataFrame, extra: pd.DataFrame | None = None
           ) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    """The integer codes of the key columns (for :func:`_keys`) and every bad row of a
    nominations table (vectorised): ``line, column, problem``."""
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise NominationError("nominations", pd.DataFrame(
            {"line": 1, "column": missing, "problem": [f"missing column {c}" for c in missing]}))
    codes = dict(zip(KEY[:2], [_factorize(df[c])[0] for c in KEY[:2]], strict=True))
    codes.update(zip(KEY[2:4], _factorize(df["tso"], df["counter_tso"]), strict=True))
    codes.update(zip(KEY[4:6], _factorize(df["shipper"], df["counter_shipper"]), strict=True))
    d = df["direction"]
    known = d.isin(DIRECTIONS).to_numpy()
    codes["direction"] = (d.to_numpy() == "exit").astype(np.int64)
    bad = [] if extra is None else [extra]
    for c in KEY[:6]:
        bad.append(_rows(df, codes[c] < 0, c, f"missing {c}"))
    empty = d.isna().to_numpy() | (d.to_numpy() == "")
    bad.append(_rows(df, empty, "direction", "missing direction"))
    wrong = ~known & ~empty
    bad.append(_rows(df, wrong, "direction", "direction " + d[wrong].astype(str).map(
        repr).to_numpy() + " is not entry or exit"))
    q = pd.to_numeric(df["quantity_kwh"], errors="coerce").to_numpy(dtype=float)
    bad.append(_rows(df, ~np.isfinite(q), "quantity_kwh", "quantity_kwh is missing or not a number"))
    bad.append(_rows(df, q < 0, "quantity_kwh", "negative quantity_kwh"))
    t = codes["tso"]
    bad.append(_rows(df, (t == codes["counter_tso"]) & (t >= 0), "counter_tso",
                     "counter_tso is the same as tso"))
    if "hour" in df:
        h = pd.to_numeric(df["hour"], errors="coerce").to_numpy(dtype=float)
        bad.append(_rows(df, ~((h >= 0) & (h <= 24) & (h == np.round(h))), "hour",
                         "hour is missing or not a whole number 0-24"))
        codes["hour"] = np.nan_to_num(h).astype(np.int64)
    if "initiating_tso" in df:
        it = df["initiating_tso"]
        wrong = it.notna() & (it != df["tso"]) & (it != df["counter_tso"])
        bad.append(_rows(df, wrong, "initiating_tso", "initiating_tso is neither tso nor "
                         "counter_tso"))
    return codes, pd.concat(bad, ignore_index=True)


# ----------------------------------------------------------------------------- matching
def _keys(c: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of each row's key and of its mirrored key (one shared code space):
    the mirror swaps tso/counter_tso and shipper/counter_shipper and flips the direction."""
    common = [c[k] for k in ("gas_day", "ip", "hour") if k in c]
    t, ct, s, cs, ex = (c[k] for k in KEY[2:])
    parts = [*(np.tile(p, 2) for p in common), np.concatenate([t, ct]),
             np.concatenate([ct, t]), np.concatenate([s, cs]), np.concatenate([cs, s]),
             np.concatenate([ex, 1 - ex])]
    n = len(t)
    key = np.zeros(2 * n, dtype=np.int64)
    span = 1
    for p in parts:
        p = p + 1  # missing = -1 -> 0
        card = int(p.max()) + 1 if len(p) else 1
        if span * card >= 2**62:  # keep the combined code small: re-number it densely
            key, uniq = pd.factorize(key)
            span = len(uniq)
        key = key * card + p
        span *= card
    return key[:n], key[n:]


def _latest(df: pd.DataFrame, own: np.ndarray, as_of: Any, valid: np.ndarray
            ) -> tuple[np.ndarray, list[pd.DataFrame]]:
    """Positions of the nominations that count: the last version of each key up to ``as_of``
    (renomination); and the problems: duplicate keys without a version (or with the same
    version), missing versions."""
    vcol = next((c for c in ("version", "timestamp") if c in df), None)
    pos = np.flatnonzero(valid)
    if vcol is None:
        dup = np.zeros(len(df), dtype=bool)
        dup[pos] = pd.Series(own[pos]).duplicated(keep=False).to_numpy()
        return pos, [_rows(df, dup, "", "duplicate key (the same gas_day, ip, tso, counter_tso, "
                           "shipper, counter_shipper, direction" + (", hour" if "hour" in df
                                                                   else "") +
                           "; add a version or timestamp column for renominations)")]
    ver = df[vcol]
    nover = ver.isna().to_numpy()
    bad = [_rows(df, nover & valid, vcol, f"missing {vcol}")]
    pos = pos[~nover[pos]]
    vcode = pd.factorize(ver.to_numpy()[pos], sort=True)[0]
    perm = np.lexsort((vcode, own[pos]))
    order, k, v = pos[perm], own[pos][perm], vcode[perm]
    same = (k[1:] == k[:-1]) & (v[1:] == v[:-1])
    at = np.zeros(len(df), dtype=bool)
    at[order[1:][same]] = at[order[:-1][same]] = True
    bad.append(_rows(df, at, vcol, f"duplicate key with the same {vcol}"))
    if as_of is not None:
        upto = (ver <= as_of).to_numpy()[order]
        order, k = order[upto], k[upto]
    last = np.ones(len(order), dtype=bool)
    last[:-1] = k[1:] != k[:-1]
    return np.sort(order[last]), bad


def _validate(df: pd.DataFrame, extra: pd.DataFrame | None = None, as_of: Any = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check every row at once: the positions that count, their keys and mirrored keys;
    raises :class:`NominationError` listing every bad row."""
    codes, problems = _check(df, extra)
    own, mir = _keys(codes)
    valid = ~df.index.isin(problems["line"])
    keep, dups = _latest(df, own, as_of, valid)
    problems = pd.concat([problems, *dups], ignore_index=True)
    if len(problems):
        raise NominationError("nominations", problems.sort_values("line", kind="stable"))
    return keep, own[keep], mir[keep]


def _fmt(x: np.ndarray) -> np.ndarray:
    """kWh as text: whole numbers without decimals, else up to 3 decimals."""
    whole = x == np.round(x)
    return np.where(whole, np.round(x).astype(np.int64).astype(str), np.round(x, 3).astype(str))


def match_nominations(nominations: pd.DataFrame, rule: str = "lesser",
                      capacity: pd.DataFrame | None = None, reduction: str = "pro_rata", *,
                      as_of: Any = None) -> pd.DataFrame:
    """Confirmed quantities (kWh) for every nomination, both sides of each shipper pair.

    ``nominations``: the columns of :func:`read_nominations` (``quantity_kwh`` in kWh per gas
    day, or per ``hour``). ``rule``: ``lesser`` (the lower processed quantity, the default of
    Regulation (EU) 2015/703 Art. 8(3)), ``initiating`` (the initiating TSO's quantity: the
    ``exit`` side, or the TSO named in an ``initiating_tso`` column) or ``matching`` (the
    other TSO's quantity). A nomination without a counter-nomination confirms 0.

    ``capacity``: optional rows ``ip, direction, capacity_kwh`` (and optionally ``tso``,
    ``gas_day``, ``hour``, ``interruption_kwh``): the kWh that may flow per gas day (per hour
    for hourly nominations) at the rows with that ``ip`` and ``direction``; an interruption
    cuts ``interruption_kwh`` from the (capacity-limited) matched total. Over-subscribed
    matched quantities are reduced ``pro_rata`` (the same share for every pair) or by
    ``priority`` (a column of the nominations: lower numbers first, pro rata within a level,
    empty last). ``as_of``: only nominations with ``version`` (or
    ``timestamp``) up to it count (renomination cycles); the last one per key wins.

    Returns one row per nomination that counts, in input order (same index):
    ``gas_day, [hour,] ip, tso, counter_tso, shipper, counter_shipper, direction,
    nominated_kwh, counter_nominated_kwh`` (NaN without a counter-nomination),
    ``confirmed_kwh`` and ``reason``: ``matched``, ``lesser rule: reduced from X``,
    ``no counter-nomination``, ``capacity: reduced pro rata``, ``interruption: ...``.
    """
    if rule not in RULES:
        raise ValueError(f"rule {rule!r}: choose one of {', '.join(RULES)}")
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction {reduction!r}: choose one of {', '.join(REDUCTIONS)}")
    keep, own, mir = _validate(nominations, as_of=as_of)
    df = nominations if len(keep) == len(nominations) else nominations.iloc[keep]
    cnt = pd.Index(own).get_indexer(mir)  # the join with the mirror: counter row or -1
    has = cnt >= 0
    q = pd.to_numeric(df["quantity_kwh"]).to_numpy(dtype=float)
    cq = np.where(has, q[cnt], np.nan)
    if "initiating_tso" in df:
        it = df["initiating_tso"].to_numpy()
        init = np.where(pd.isna(it), df["direction"].to_numpy() == "exit",
                        it == df["tso"].to_numpy()).astype(bool)
    else:
        init = df["direction"].to_numpy() == "exit"
    clash = has & (init == init[cnt])
    if clash.any():
        raise NominationError("nominations", _rows(df, clash, "initiating_tso", "the two sides "
                              "of the pair name different initiating TSOs"))
    by_side = np.where(init == (rule == "initiating"), q, cq)
    m = np.fmin(q, cq) if rule == "lesser" else by_side
    m = np.where(has, m, 0.0)
    conf, lbl = m, np.zeros(len(df), dtype=np.int8)
    if capacity is not None:
        conf, lbl = _capacity(df, m, capacity, reduction)
        other = np.where(has, conf[cnt], np.inf)
        lbl = np.where(other < conf, lbl[cnt], lbl)
        conf = np.fmin(conf, other)
    reason = np.full(len(df), "matched", dtype=object)
    ch = has & (m != q)
    if ch.any():
        verb = np.where(m[ch] < q[ch], " rule: reduced from ", " rule: increased from ")
        reason[ch] = rule + verb + _fmt(q[ch])
    reason[~has] = "no counter-nomination"
    cut = conf < m
    if cut.any():
        how = "reduced pro rata" if reduction == "pro_rata" else "reduced by priority"
        text = np.where(lbl[cut] == 2, "interruption: " + how, "capacity: " + how)
        reason[cut] = np.where(reason[cut] == "matched", text, reason[cut] + "; " + text)
    cols = ["gas_day", *(["hour"] if "hour" in df else []), *KEY[1:]]
    data = {c: df[c].to_numpy() for c in cols}
    data.update(nominated_kwh=q, counter_nominated_kwh=cq, confirmed_kwh=conf, reason=reason)
    return pd.DataFrame(data, index=df.index)


def _capacity(df: pd.DataFrame, m: np.ndarray, capacity: pd.DataFrame, reduction: str
              ) -> tuple[np.ndarray, np.ndarray]:
    """Matched quantities after the capacity (and interruption) of each row's group; and a
    label per row: 0 not reduced, 1 capacity, 2 interruption."""
    cap = capacity.copy()
    cap.columns = [str(c).strip() for c in cap.columns]
    need = ["ip", "direction"]
    if not any(c in cap for c in ("capacity_kwh", "interruption_kwh")) or any(
            c not in cap for c in need):
        raise NominationError("capacity", pd.DataFrame({"line": [1], "column": [""], "problem": [
            "the capacity table needs ip, direction and capacity_kwh (or interruption_kwh)"]}))
    on = need + [c for c in ("tso", "gas_day", "hour") if c in cap]
    if "hour" in cap and "hour" not in df:
        raise NominationError("capacity", pd.DataFrame({"line": [1], "column": ["hour"], "problem": [
            "hourly capacity for daily nominations"]}))
    c_kwh = pd.to_numeric(cap.get("capacity_kwh", pd.Series(np.inf, cap.index)),
                          errors="coerce").fillna(np.inf).to_numpy(dtype=float)
    i_kwh = pd.to_numeric(cap.get("interruption_kwh", pd.Series(0.0, cap.index)),
                          errors="coerce").fillna(0.0).to_numpy(dtype=float)
    bad = (c_kwh < 0) | (i_kwh < 0) | ~cap["direction"].isin(DIRECTIONS).to_numpy()
    dup = cap.duplicated(on, keep=False).to_numpy()
    if bad.any() or dup.any():
        raise NominationError("capacity", pd.concat([
            _rows(cap, bad, "", "negative capacity or interruption, or unknown direction"),
            _rows(cap, dup, "", "duplicate capacity row")]))
    rows = df[on].copy()
    if "hour" in cap:
        cap["hour"] = pd.to_numeric(cap["hour"]).astype(np.int64)
        rows["hour"] = rows["hour"].astype(np.int64)
    g = pd.MultiIndex.from_frame(cap[on]).get_indexer(pd.MultiIndex.from_frame(rows))
    inn = g >= 0
    gi, mi = g[inn], m[inn]
    total = np.bincount(gi, weights=mi, minlength=len(cap))
    avail = np.clip(np.fmin(c_kwh, total) - i_kwh, 0.0, None)  # interruption: cut from flow
    out = m.copy()
    if reduction == "pro_rata":
        f = np.where(total > avail, avail / np.where(total > 0, total, 1.0), 1.0)
        out[inn] = mi * f[gi]
    else:
        prio = (pd.to_numeric(df["priority"], errors="coerce").to_numpy(dtype=float)[inn]
                if "priority" in df else np.zeros(inn.sum()))
        t = pd.DataFrame({"g": gi, "p": np.nan_to_num(prio, nan=np.inf), "m": mi})
        lvl = t.groupby(["g", "p"], sort=True)["m"].sum()
        before = lvl.groupby(level=0).cumsum() - lvl
        la = np.clip(avail[lvl.index.get_level_values(0)] - before.to_numpy(), 0.0, lvl.to_numpy())
        frac = np.divide(la, lvl.to_numpy(), out=np.ones(len(lvl)), where=lvl.to_numpy() > 0)
        out[inn] = mi * frac[lvl.index.get_indexer(pd.MultiIndex.from_frame(t[["g", "p"]]))]
    over = np.zeros(len(m), dtype=np.int8)
    over[inn] = np.where(total[gi] > c_kwh[gi], 1, 2)
    return out, np.where(out < m, over, 0).astype(np.int8)


def read_capacity(path: str | Path) -> pd.DataFrame:
    """A capacity CSV (``ip,direction,capacity_kwh`` and optionally ``tso,gas_day,hour,
    interruption_kwh``; kWh per gas day, or per hour) with the CSV line numbers as index."""
    df = _parse(_read_csv(path, "capacity"), "capacity", ["ip", "direction"])
    if "capacity_kwh" in df and (df["capacity_kwh"].isna()).any():
        raise NominationError("capacity", _rows(df, df["capacity_kwh"].isna(), "capacity_kwh",
                                                "capacity_kwh is missing or not a number"))
    return df
