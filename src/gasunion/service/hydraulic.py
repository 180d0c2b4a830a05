"""The hydraulic check of a gas day's confirmations on the union's network
(:func:`gasunion.operations.hydraulic.hydraulic_check`): ``POST /gas-days/{day}/hydraulic-check``
and ``POST /gas-days/{day}/matching?check=true``.

The network is the app's (``create_app(..., network=...)``); one prepared
:class:`~gasunion.simulation.prepared.Simulator` per app, built on first use and shared by the
requests (one check at a time).
"""

from __future__ import annotations

import json
import threading
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from gasunion.service import core
from gasunion.service.deps import CallerDep, IdemKey, SessionDep
from gasunion.service.nominations import IpQuery, MatchingOut, _tso_ips
from gasunion.service.nominations import match as _match
from gasunion.service.problems import Problem
from gasunion.service.tables import confirmations

if TYPE_CHECKING:
    from fastapi import FastAPI

    from gasunion.network import Network
    from gasunion.simulation.prepared import Simulator

router = APIRouter()
NO_NETWORK = "no network configured: start the service with --network or --demo"


class HydraulicOut(BaseModel):
    gas_day: str
    feasible: bool
    #: component, element, name, field, value, bound, kind, excess, unit
    violations: list[dict[str, Any]]
    #: per IP: ip, name, direction, confirmed kWh/d, kg/s, mcm/d, simulated, capacity, ...
    border_flows: list[dict[str, Any]]
    #: confirmed IPs that are not in the network (not checked)
    unknown_ips: list[str]
    converged: bool
    error: str | None
    message: str


class MatchingChecked(MatchingOut):
    hydraulic: HydraulicOut | None = None


def install(app: FastAPI, network: Network | None) -> None:
    app.state.network = network
    app.state.simulator = None
    app.state.hydraulic_lock = threading.Lock()


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = json.loads(df.to_json(orient="records"))
    return out


def _network(request: Request) -> Network:
    net: Network | None = getattr(request.app.state, "network", None)
    if net is None:
        raise Problem(409, NO_NETWORK)
    return net


def check_day(request: Request, session: Session, caller: core.Caller, day: str
              ) -> dict[str, Any]:
    """The check of the caller's visible confirmations of ``day`` (a TSO: its IPs)."""
    from gasunion.operations.hydraulic import hydraulic_check
    from gasunion.simulation.prepared import Simulator

    net = _network(request)
    q = select(confirmations.c.gas_day, confirmations.c.ip, confirmations.c.tso,
               confirmations.c.direction, confirmations.c.confirmed_kwh
               ).where(confirmations.c.gas_day == day)
    if caller.role == "tso":
        q = q.where(confirmations.c.ip.in_(_tso_ips(caller)))
    rows = [dict(r._mapping) for r in session.execute(q)]
    session.rollback()
    known = set(net.interconnections.index)
    unknown = sorted({r["ip"] for r in rows} - known)
    conf = pd.DataFrame([r for r in rows if r["ip"] in known],
                        columns=["gas_day", "ip", "tso", "direction", "confirmed_kwh"])
    if conf.empty:  # nothing confirmed: the network's own day (one gas day, no column)
        conf = conf.drop(columns="gas_day")
    state = request.app.state
    with state.hydraulic_lock:
        sim: Simulator | None = state.simulator
        if sim is None:
            sim = state.simulator = Simulator(net)
        try:
            res = hydraulic_check(net, conf, simulator=sim)
        except ValueError as exc:
            raise Problem(422, f"hydraulic check: {exc}") from None
    s = res.summary
    return {"gas_day": day, "feasible": bool(res.feasible),
            "violations": _records(res.violations),
            "border_flows": _records(res.border_flows.reset_index()),
            "unknown_ips": unknown, "converged": bool(s.get("converged", False)),
            "error": s.get("error"), "message": str(s.get("message", ""))}


@router.post("/gas-days/{gas_day}/hydraulic-check", response_model=HydraulicOut,
             tags=["matching"])
def hydraulic_check_day(gas_day: date, request: Request, caller: CallerDep,
                        session: SessionDep) -> dict[str, Any]:
    """Simulate the gas day's confirmed border flows (a TSO: at its IPs; the admin: all) on
    the union's network and list what breaks (pressure bounds, compressor power, flow
    bounds, capacities), naming the elements. 409 without a configured network."""
    if caller.role == "shipper":
        raise Problem(403, "only the TSOs of an interconnection point (or the admin) check")
    return check_day(request, session, caller, gas_day.isoformat())


@router.post("/gas-days/{gas_day}/matching", response_model=MatchingChecked, tags=["matching"])
def match(gas_day: date, request: Request, caller: CallerDep, session: SessionDep,
          rule: Annotated[Literal["lesser", "initiating", "matching"], Query()] = "lesser",
          ip: IpQuery = None,
          check: Annotated[bool, Query(description="also run the hydraulic check of the "
                                       "day's confirmations (409 without a network)")] = False,
          idempotency_key: IdemKey = None) -> JSONResponse:
    """Match the gas day's nominations at the caller's IPs (all IPs for the admin) and store
    the confirmations (replacing earlier ones for those IPs); with ``check=true`` the day's
    confirmations are then simulated on the network (``hydraulic``)."""
    if check and caller.role != "shipper":
        _network(request)
    resp = _match(gas_day, caller, session, rule, ip, idempotency_key)
    if not check or resp.status_code != 200:
        return resp
    body = json.loads(bytes(resp.body))
    body["hydraulic"] = check_day(request, session, caller, gas_day.isoformat())
    headers = {k: v for k, v in resp.headers.items() if k.lower() == "etag"}
    return JSONResponse(body, status_code=200, headers=headers)
