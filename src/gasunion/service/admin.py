"""Administration without the HTTP API (``gasunion admin ...``, ``gasunion serve --demo``):
parties, tokens, the Central Asia demo and the audit check, straight on the database."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gasunion.service import audit, core
from gasunion.service.db import make_engine, migrate
from gasunion.service.tables import interconnection_points, parties

ACTOR = "cli"


def open_db(db_url: str) -> Engine:
    """An engine on ``db_url`` with the schema migrated."""
    engine = make_engine(db_url)
    migrate(db_url, engine)
    return engine


def create_party(engine: Engine, id: str, name: str, role: str, country: str) -> dict[str, Any]:
    with Session(engine) as s:
        return core.write(s, ACTOR, None, "", lambda t: core.Result(
            201, core.add_party(t, ACTOR, id, name, role, country))).body


def create_token(engine: Engine, party_id: str) -> str:
    with Session(engine) as s:
        res = core.write(s, ACTOR, None, "", lambda t: core.Result(
            201, core.add_token(t, ACTOR, party_id)))
        return str(res.body)


def verify_audit(engine: Engine) -> audit.Verdict:
    return audit.verify(engine)


def load_demo(engine: Engine) -> dict[str, str]:
    """The Central Asia parties (TSOs: the operators at border points and the countries'
    operators; the others shippers), an ``ADMIN`` party, the border points with their
    capacities; a fresh token per party. Existing parties and points are kept."""
    from gasunion.datasets.central_asia import central_asia
    from gasunion.datasets.central_asia import parties as ca_parties

    net = central_asia()
    ic = net.interconnections
    # mcm/d -> kWh/d with the dataset gas's gross calorific value per standard m3 (MJ/m3 / 3.6)
    kwh_per_m3 = float(net.gas.calorific_value_mj_m3 or math.nan) / 3.6
    ops = set(ic["operator_from"]) | set(ic["operator_to"])
    p = ca_parties()
    with Session(engine) as s:
        have = set(s.scalars(select(parties.c.id)))
        have_ip = set(s.scalars(select(interconnection_points.c.id)))
        s.rollback()

        def change(t: Session) -> core.Result:
            if "ADMIN" not in have:
                core.add_party(t, ACTOR, "ADMIN", "Union administrator", "admin", "XX")
            for pid, r in p.iterrows():
                if pid not in have:
                    role = "tso" if (pid in ops or bool(r["country_operator"])) else "shipper"
                    core.add_party(t, ACTOR, str(pid), str(r["name"]), role, str(r["country"]))
            for iid, r in ic.iterrows():
                a, b = str(r["operator_from"]), str(r["operator_to"])
                if iid in have_ip or a == b or not a or not b:
                    continue
                cap = {}
                for d in ("forward", "reverse"):
                    v = float(r[f"capacity_{d}_mcm_d"])
                    cap[f"capacity_{d}_kwh_d"] = v * 1e6 * kwh_per_m3 if v == v else None
                core.add_ip(t, ACTOR, {"id": str(iid), "name": str(r["name"]), "tso": a,
                                       "counter_tso": b, **cap})
            names = ["ADMIN", *[str(x) for x in p.index]]
            return core.Result(200, {n: core.add_token(t, ACTOR, n) for n in names})

        return core.write(s, ACTOR, None, "", change).body
