"""The two closed-form security-of-supply indicators, usable without a network.

* :func:`n_minus_1` -- the infrastructure standard of Regulation (EU) 2017/1938, Annex II
  point 2 (the formula carried over from Regulation (EU) No 994/2010, Annex I)::

      N-1 [%] = (EP_m + P_m + S_m + LNG_m - I_m) / (D_max - D_eff) x 100,   N-1 >= 100 %

  every term a daily rate in one unit (the Regulation uses mcm/d; any unit works as long as
  all terms share it).
* :func:`hhi` -- the Herfindahl-Hirschman index of a set of shares on the 0-10,000 scale
  (shares in percent, squared and summed); above 2,500 is "highly concentrated" in the usual
  competition-policy reading (US DOJ/FTC Horizontal Merger Guidelines, 2010).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

__all__ = ["hhi", "n_minus_1"]


def n_minus_1(ep_m: float, p_m: float, s_m: float, lng_m: float, i_m: float, d_max: float,
              d_eff: float = 0.0) -> float:
    """The N-1 indicator in percent (Regulation (EU) 2017/1938, Annex II).

    Parameters, all daily rates in the same unit (mcm/d in the Regulation):
    ``ep_m`` technical capacity of the entry points into the calculated area (other than
    production, LNG and storage); ``p_m`` maximal technical production capability;
    ``s_m`` maximal technical storage deliverability; ``lng_m`` maximal technical LNG
    facility capacity; ``i_m`` technical capacity of the single largest gas infrastructure;
    ``d_max`` total daily demand on a day of exceptionally high demand (once in 20 years);
    ``d_eff`` the part of ``d_max`` that market-based demand-side measures can cover (the
    demand-side variant of the formula; 0 = the plain formula).

    Returns ``(ep_m + p_m + s_m + lng_m - i_m) / (d_max - d_eff) * 100``. Raises
    ``ValueError`` for a negative or non-finite term, or when ``d_max - d_eff <= 0``.
    """
    terms = {"ep_m": ep_m, "p_m": p_m, "s_m": s_m, "lng_m": lng_m, "i_m": i_m,
             "d_max": d_max, "d_eff": d_eff}
    for name, v in terms.items():
        if not math.isfinite(float(v)) or float(v) < 0.0:
            raise ValueError(f"N-1 term {name} must be a finite non-negative rate, got {v!r}")
    denominator = float(d_max) - float(d_eff)
    if denominator <= 0.0:
        raise ValueError(f"N-1 needs d_max > d_eff (got d_max={d_max!r}, d_eff={d_eff!r})")
    supply = float(ep_m) + float(p_m) + float(s_m) + float(lng_m) - float(i_m)
    return supply / denominator * 100.0


def hhi(shares: Mapping[str, float] | Iterable[float]) -> float:
    """Herfindahl-Hirschman index on the 0-10,000 scale.

    ``shares``: non-negative amounts per supplier (volumes in any one unit, fractions or
    percentages -- they are normalised to percent of their sum), as a mapping or a sequence.
    Returns ``sum((100 * x_i / sum(x)) ** 2)``: 10,000 for a single supplier, 10,000 / n for
    n equal suppliers; NaN when there is nothing to share (no imports). Raises ``ValueError``
    for a negative or non-finite amount.
    """
    values = [float(v) for v in (shares.values() if isinstance(shares, Mapping) else shares)]
    for v in values:
        if not math.isfinite(v) or v < 0.0:
            raise ValueError(f"HHI shares must be finite and non-negative, got {v!r}")
    total = sum(values)
    if total <= 0.0:
        return math.nan
    return sum((100.0 * v / total) ** 2 for v in values)
