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
from gasunion.service.nominations import IpQuery, MatchingOut, _tso_ips, match_day
from gasunion.service.problems import MEDIA_TYPE, Problem, problem_response
from gasunion.service.tables import confirmations
from gasunion.simulation.results import SimulationError

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


def _day_rows(session: Session, caller: core.Caller, day: str,
              without: list[str] | None = None) -> list[dict[str, Any]]:
    """The caller's visible stored confirmations of ``day`` (a TSO: its IPs), less those at
    the IPs ``without``."""
    q = select(confirmations.c.gas_day, confirmations.c.ip, confirmations.c.tso,
               confirmations.c.direction, confirmations.c.confirmed_kwh
               ).where(confirmations.c.gas_day == day)
    if caller.role == "tso":
        q = q.where(confirmations.c.ip.in_(_tso_ips(caller)))
    if without:
        q = q.where(confirmations.c.ip.not_in(without))
    return [dict(r._mapping) for r in session.execute(q)]


def check_rows(request: Request, day: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The hydraulic check of confirmations ``rows`` (gas_day, ip, tso, direction,
    confirmed_kwh) of ``day``."""
    from gasunion.operations.hydraulic import hydraulic_check
    from gasunion.simulation.prepared import Simulator

    net = _network(request)
    known = set(net.interconnections.index)
    unknown = sorted({r["ip"] for r in rows} - known)
    cols = ["gas_day", "ip", "tso", "direction", "confirmed_kwh"]
    conf = pd.DataFrame([{c: r[c] for c in cols} for r in rows if r["ip"] in known],
                        columns=cols)
    if conf.empty:  # nothing confirmed: the network's own day (one gas day, no column)
        conf = conf.drop(columns="gas_day")
    state = request.app.state
    with state.hydraulic_lock:
        sim: Simulator | None = state.simulator
        try:
            if sim is None:
                sim = state.simulator = Simulator(net)
            res = hydraulic_check(net, conf, simulator=sim)
        except SimulationError as exc:
            # the configured network itself cannot be simulated (e.g. an invalid element):
            # the service's set-up, not the request, is at fault
            raise Problem(409, f"the union's network cannot be simulated ({exc.kind}): "
                          f"{exc}", kind="network-not-simulable") from None
        except ValueError as exc:
            raise Problem(422, f"hydraulic check: {exc}") from None
    s = res.summary
    return {"gas_day": day, "feasible": bool(res.feasible),
            "violations": _records(res.violations),
            "border_flows": _records(res.border_flows.reset_index()),
            "unknown_ips": unknown, "converged": bool(s.get("converged", False)),
            "error": s.get("error"), "message": str(s.get("message", ""))}


def check_day(request: Request, session: Session, caller: core.Caller, day: str
              ) -> dict[str, Any]:
    """The check of the caller's visible confirmations of ``day`` (a TSO: its IPs)."""
    _network(request)
    rows = _day_rows(session, caller, day)
    session.rollback()
    return check_rows(request, day, rows)


class Infeasible(Problem):
    """A matching refused by the hydraulic check (409; the check in ``hydraulic``)."""

    def __init__(self, h: dict[str, Any]) -> None:
        elements = list(dict.fromkeys(str(v.get("element")) for v in h["violations"]))
        if elements:
            what = "violated elements: " + ", ".join(elements)
        else:
            what = f"the simulation failed: {h['error'] or h['message'] or 'not converged'}"
        super().__init__(
            409, f"gas day {h['gas_day']} is hydraulically infeasible ({what}); nothing was "
            "stored (match with force=true to store the confirmations anyway, flagged)",
            kind="hydraulically-infeasible",
            errors=[{"field": "gas_day", "message": f"{v.get('element')}: {v.get('field')} "
                     f"{v.get('kind')} {v.get('bound')} (value {v.get('value')} "
                     f"{v.get('unit') or ''})".rstrip()} for v in h["violations"]])
        self.hydraulic = h


def infeasible_response(request: Request, exc: Infeasible) -> JSONResponse:
    """The problem document of ``exc`` with the extension member ``hydraulic``."""
    resp = problem_response(request, exc.status, exc.detail, title=exc.title, kind=exc.kind,
                            errors=exc.errors)
    body = json.loads(bytes(resp.body))
    body["hydraulic"] = exc.hydraulic
    return JSONResponse(body, status_code=exc.status, media_type=MEDIA_TYPE)


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


@router.post("/gas-days/{gas_day}/matching", response_model=MatchingChecked, tags=["matching"],
             responses={409: {"description": "no network, or (check=true) the matched day is "
                              "hydraulically infeasible: nothing stored, the check in the "
                              "problem's `hydraulic` member"}})
def match(gas_day: date, request: Request, caller: CallerDep, session: SessionDep,
          rule: Annotated[Literal["lesser", "initiating", "matching"], Query()] = "lesser",
          ip: IpQuery = None,
          check: Annotated[bool, Query(description="run the hydraulic check of the day's "
                                       "confirmations as matched BEFORE storing them; an "
                                       "infeasible day -> 409, nothing stored (409 without a "
                                       "network)")] = False,
          force: Annotated[bool, Query(description="with check=true: store an infeasible "
                                       "day's confirmations anyway (flagged in `hydraulic`)")
                           ] = False,
          idempotency_key: IdemKey = None) -> JSONResponse:
    """Match the gas day's nominations at the caller's IPs (all IPs for the admin) and store
    the confirmations (replacing earlier ones for those IPs). With ``check=true`` the day's
    confirmations as they would be after the matching are first simulated on the network:
    infeasible -> 409 and nothing stored, unless ``force=true`` (stored, ``hydraulic`` shows
    the violations)."""
    if not check:
        return match_day(gas_day, caller, session, rule, ip, idempotency_key)
    if caller.role != "shipper":
        _network(request)
    day = gas_day.isoformat()

    def vet(s: Session, ids: list[str], rows: list[dict[str, Any]]) -> dict[str, Any]:
        h = check_rows(request, day, _day_rows(s, caller, day, without=ids) + rows)
        if not h["feasible"] and not force:
            raise Infeasible(h)
        return {"hydraulic": h}

    try:
        return match_day(gas_day, caller, session, rule, ip, idempotency_key, vet=vet,
                         options={"check": True, "force": force})
    except Infeasible as exc:
        return infeasible_response(request, exc)
