"""The embedded Central Asia dataset: the gas network of the trilateral union and its neighbours.

Russia, Kazakhstan and Uzbekistan (the union) with Turkmenistan, Kyrgyzstan, Tajikistan and
China (the export market). The data ship inside the package (``datasets/data/central_asia/``)
so that everything runs offline:

* ``nodes.csv``, ``pipelines.csv``, ``countries.csv``, ``flows.csv``, ``SOURCES.md`` -- the
  sourced facts (copied from the research tables; added model columns);
* ``capacities.csv`` -- capacities per interconnection or corridor, direction and year;
* ``parties.csv`` and ``ownership.csv`` -- the parties (operators, shippers, buyers,
  shareholders, with their parents) and the shares of joint ventures;
* ``defaults.csv`` -- the one place for engineering defaults (values no source gives);
* ``scenarios.csv`` -- supply and demand per scenario, each with its source or
  ``estimate: <method>``.

Data flow: CSV files -> :func:`central_asia` builds a :class:`~gasunion.network.Network`
(modules ``_ca_geometry``, ``_ca_build``, ``_ca_capacity``, ``_ca_ownership``) ->
:func:`gasunion.simulate` -> :func:`border_flow_report`, :func:`corridor_report` and
:func:`key_pressures` (``_ca_reports``). How the model is built is described in
``docs/datasets/central-asia.md`` and, rule by rule, in ``defaults.csv``.
"""

from __future__ import annotations

from gasunion.datasets._ca_build import build
from gasunion.datasets._ca_capacity import add_interconnections, apply_branch_bounds
from gasunion.datasets._ca_data import dataset_tables, defaults, parent_shares, parties
from gasunion.datasets._ca_ownership import add_ownership
from gasunion.datasets._ca_reports import (
    border_flow_report,
    corridor_report,
    key_pressures,
    reported_flow_check,
    segment_name,
)
from gasunion.network import Network

__all__ = [
    "ALIASES",
    "SCENARIOS",
    "border_flow_report",
    "central_asia",
    "corridor_report",
    "dataset_tables",
    "defaults",
    "key_pressures",
    "parent_shares",
    "parties",
    "reported_flow_check",
    "scenario_year",
    "segment_name",
]

#: Scenario name -> description (load with ``central_asia(scenario=name)``).
SCENARIOS: dict[str, str] = {
    "2023": "Reported flows of 2023 as annual-average daily flows, incl. Russian gas to Uzbekistan "
            "via Kazakhstan (the Oct-Dec 2023 volume spread over the year).",
    "2024": "Reported flows of 2024: Russian gas to Uzbekistan 5.64 bcm, to Kazakhstan 3.8 bcm "
            "(Bukhara-Ural entry); other flows at their latest reported or 2023 levels.",
    "2025": "Flows of 2025: Russian gas to Uzbekistan ~7.0 bcm, Kazakh gas in transit through "
            "Uzbekistan 1.58 bcm/y (Jan-Jul rate); CAC reverse stage 2 from 1 Nov 2025.",
    "2026": "Announced 2026: 11 bcm/y of Russian gas to Uzbekistan, 0.6 bcm/y to Kyrgyzstan via "
            "Kazakhstan, Russian gas to Kazakhstan on the ramp to 2030.",
    "2027": "Ramp 2026-2030 (linear between the announced 2026 and 2030 volumes), year 2027.",
    "2028": "Ramp 2026-2030 (linear between the announced 2026 and 2030 volumes), year 2028.",
    "2029": "Ramp 2026-2030 (linear between the announced 2026 and 2030 volumes), year 2029.",
    "2030": "Forecast 2030: Russian gas to Uzbekistan 12, Kazakhstan 6.5, Kyrgyzstan 1.0 bcm/y.",
    "union": "Alias of 2026: the trilateral union at its announced volume (11 bcm/y of Russian gas "
             "to Uzbekistan via Kazakhstan).",
    "ramp-2030": "Alias of 2030: the end of the announced 2026-2030 ramp.",
    "winter-peak": "A cold peak day with the union volumes (2026): domestic demand x 1.5 "
                   "(estimate), exports held, Russian gas at the CAC stage-2 capacity, Turkmen "
                   "winter imports, storage withdrawal.",
    "line-d": "2023 plus Central Asia-China Line D built and used (Galkynysh -> Wuqia, 27 bcm/y = "
              "0.9 x its 30 bcm/y design).",
}

#: Alias -> the data scenario it builds (the network keeps the alias as its name).
ALIASES: dict[str, str] = {"union": "2026", "ramp-2030": "2030"}

#: Data scenario -> the year of its capacities (defaults.csv capacity_year).
_YEARS: dict[str, int] = {**{str(y): y for y in range(2023, 2031)}, "winter-peak": 2026,
                          "line-d": 2023}

_CITATION = ("gasunion Central Asia dataset v2, compiled from the public sources listed in "
             "gasunion/datasets/data/central_asia/SOURCES.md (docs/datasets/central-asia.md)")


def scenario_year(scenario: str) -> int:
    """The year whose capacities a scenario uses (aliases resolved)."""
    return _YEARS[ALIASES.get(scenario, scenario)]


def central_asia(scenario: str = "2023") -> Network:
    """The Central Asia gas network with the supplies and demands of ``scenario``.

    Scenarios: :data:`SCENARIOS` (``"2023"`` .. ``"2030"``, ``"winter-peak"``, ``"line-d"``
    and the aliases ``"union"`` = 2026, ``"ramp-2030"`` = 2030). Every element carries
    ``owner``, ``country``, ``source`` and ``note``; the network carries its
    ``interconnections`` (capacity per direction for the scenario's year), per-direction pipe
    bounds and the ``ownership`` shares of joint ventures. Every number comes from the shipped
    tables (sourced, ``estimate: <method>`` or a default of ``defaults.csv``).
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown Central Asia scenario {scenario!r}; available scenarios: "
                         f"{', '.join(SCENARIOS)}")
    data = ALIASES.get(scenario, scenario)
    year = scenario_year(scenario)
    net = build(scenario, data, SCENARIOS[scenario], _CITATION)
    net.meta["capacity_year"] = year
    apply_branch_bounds(net, year)
    add_interconnections(net, year)
    add_ownership(net)
    return net
