"""Nominations, renominations, matching and confirmations (the gas-day process at the
interconnection points; Regulation (EU) 312/2014 Arts. 13-15, Regulation (EU) 2015/703 Art. 8).

Who sees what: a shipper its own nominations, the TSOs of an IP the nominations and
confirmations at it, both shippers of a pair their confirmations, the admin everything.
Anything else answers 404, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import (
    Column,
    ColumnElement,
    Float,
    ForeignKey,
    Integer,
    Select,
    String,
    Table,
    and_,
    delete,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from gasunion.service import audit, core
from gasunion.service.deps import CallerDep, IdemKey, SessionDep, respond
from gasunion.service.matching import run_matching
from gasunion.service.problems import Problem, not_found
from gasunion.service.tables import (
    confirmations,
    interconnection_points,
    metadata,
    nominations,
    parties,
)

router = APIRouter()
IP = interconnection_points
#: the volume basis of a nomination made in m3 (migration 0002)
nomination_volumes = Table(
    "nomination_volumes", metadata,
    Column("nomination_id", Integer, ForeignKey("nominations.id"), primary_key=True),
    Column("volume_m3", Float, nullable=False),
    Column("gcv_kwh_m3", Float, nullable=False),
    Column("reference", String(16), nullable=False),
)
VOL = nomination_volumes
VOLUME_FIELDS = ("volume_m3", "gcv_kwh_m3", "reference")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Deadlines:
    """The gas day and its deadlines. Gas day D runs from ``start_hour``:00 local time of
    ``time_zone`` on date D to the same hour on D+1 (default 05:00-05:00 UTC; e.g.
    ``Deadlines(start_hour=6, time_zone="Asia/Almaty")``). The deadlines are offsets from the
    start of the gas day (an elapsed duration): nominations until 16 h before it
    (``nomination``; D-1 13:00 UTC by default), renominations until 3 h before its end
    (``renomination``, +21 h; D+1 02:00 UTC by default). ``clock`` gives now."""

    nomination: timedelta = timedelta(hours=-16)
    renomination: timedelta = timedelta(hours=21)
    start_hour: int = 5
    time_zone: str = "UTC"
    clock: Callable[[], datetime] = field(default=_utcnow)

    def __post_init__(self) -> None:
        if not 0 <= self.start_hour <= 23:
            raise ValueError(f"start_hour must be 0-23, not {self.start_hour}")
        ZoneInfo(self.time_zone)  # unknown zone: ZoneInfoNotFoundError (a KeyError)

    def gas_day_start(self, day: date) -> datetime:
        """The start of gas day ``day`` in UTC."""
        return _at(day, time(self.start_hour), self.time_zone, timedelta(0))

    def nomination_deadline(self, day: date) -> datetime:
        return _at(day, time(self.start_hour), self.time_zone, self.nomination)

    def renomination_deadline(self, day: date) -> datetime:
        return _at(day, time(self.start_hour), self.time_zone, self.renomination)


def _at(day: date, start: time, zone: str, offset: timedelta) -> datetime:
    """``offset`` after ``start`` local time (in ``zone``) of ``day``, in UTC."""
    try:
        return (datetime.combine(day, start, ZoneInfo(zone)).astimezone(UTC) + offset)
    except OverflowError:  # the first or last representable days
        late = offset > timedelta(0) or (offset == timedelta(0) and day.year > 1)
        return datetime.max.replace(tzinfo=UTC) if late else datetime.min.replace(tzinfo=UTC)


ID_PATTERN = r"^[A-Za-z0-9_.\-]+$"
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=ID_PATTERN)]
Kwh = Annotated[float, Field(ge=0, le=1e15, allow_inf_nan=False,
                             description="kWh per gas day (or hour)")]
IpQuery = Annotated[str | None, Query(max_length=64, pattern=ID_PATTERN)]
NomId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class NominationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gas_day: date
    ip: Name
    tso: Name
    counter_tso: Name
    counter_shipper: Name
    direction: Literal["entry", "exit"]
    quantity_kwh: Kwh | None = None
    hour: Annotated[int | None, Field(ge=0, le=24)] = None
    volume_m3: Annotated[float | None, Field(ge=0, le=1e14, allow_inf_nan=False, description=(
        "m3 per gas day (or hour) at the metering reference of ``reference``; instead of "
        "quantity_kwh"))] = None
    gcv_kwh_m3: Annotated[float | None, Field(gt=0, le=100, allow_inf_nan=False, description=(
        "gross calorific value, kWh/m3, at ``reference`` (with volume_m3)"))] = None
    reference: Annotated[str | None, Field(pattern=r"^-?\d{1,2}/-?\d{1,2} C$", description=(
        "reference conditions of the GCV, 'combustion/metering' temperature, e.g. "
        "'25/0 C' or '20/25 C' (with volume_m3)"))] = None

    def fingerprint_payload(self) -> dict[str, Any]:
        """The JSON payload (without the unset volume members: the fingerprint of an energy
        nomination is as before volume nominations existed)."""
        d = self.model_dump(mode="json")
        return {k: v for k, v in d.items() if k not in VOLUME_FIELDS or v is not None}

    def energy(self) -> tuple[float, dict[str, Any] | None]:
        """quantity_kwh and the volume basis (None for an energy nomination); exactly one of
        quantity_kwh and volume_m3 (with gcv_kwh_m3 and reference), else 422 naming the
        field."""
        errors = []
        if self.quantity_kwh is not None and self.volume_m3 is not None:
            errors.append({"field": "volume_m3",
                           "message": "give either quantity_kwh or volume_m3, not both"})
        elif self.quantity_kwh is None and self.volume_m3 is None:
            errors.append({"field": "quantity_kwh",
                           "message": "quantity_kwh or volume_m3 is required"})
        for f in ("gcv_kwh_m3", "reference"):
            if self.volume_m3 is not None and getattr(self, f) is None:
                errors.append({"field": f, "message": "required with volume_m3"})
            if self.volume_m3 is None and getattr(self, f) is not None:
                errors.append({"field": f, "message": "only with volume_m3"})
        if not errors and self.volume_m3 is not None:
            assert self.gcv_kwh_m3 is not None and self.reference is not None
            kwh = self.volume_m3 * self.gcv_kwh_m3
            if kwh > 1e15:
                errors.append({"field": "volume_m3",
                               "message": "volume_m3 x gcv_kwh_m3 exceeds 1e15 kWh"})
            else:
                return kwh, {"volume_m3": self.volume_m3, "gcv_kwh_m3": self.gcv_kwh_m3,
                             "reference": self.reference}
        if errors:
            raise Problem(422, "invalid nomination: " + "; ".join(
                f"{e['field']}: {e['message']}" for e in errors), kind="validation",
                errors=errors)
        assert self.quantity_kwh is not None
        return self.quantity_kwh, None


class RenominationIn(BaseModel):
    quantity_kwh: Kwh


class Nomination(BaseModel):
    id: int
    gas_day: str
    ip: str
    tso: str
    counter_tso: str
    shipper: str
    counter_shipper: str
    direction: str
    quantity_kwh: float
    #: a volume nomination: its m3, GCV (kWh/m3) and the GCV's reference conditions
    volume_m3: float | None = None
    gcv_kwh_m3: float | None = None
    reference: str | None = None
    hour: int | None
    version: int
    created_at: str
    updated_at: str


class Confirmation(BaseModel):
    gas_day: str
    ip: str
    hour: int | None
    tso: str
    counter_tso: str
    shipper: str
    counter_shipper: str
    direction: str
    nomination_id: int
    nominated_kwh: float
    counter_nominated_kwh: float | None
    confirmed_kwh: float
    reason: str
    rule: str
    matched_by: str
    matched_at: str


class MatchingOut(BaseModel):
    gas_day: str
    rule: str
    ips: list[str]
    confirmations: list[Confirmation]


def etag(version: int) -> str:
    return f'"{version}"'


def nom_dict(r: Any) -> dict[str, Any]:
    d = {c: getattr(r, c) for c in ("id", "gas_day", "ip", "tso", "counter_tso", "shipper",
                                    "counter_shipper", "direction", "quantity_kwh", "version",
                                    "created_at", "updated_at")}
    d["hour"] = None if r.slot < 0 else r.slot
    d.update({c: getattr(r, c, None) for c in VOLUME_FIELDS})
    return d


def _noms() -> Select[Any]:
    """The nominations with their volume basis (None for energy nominations)."""
    return select(nominations, VOL.c.volume_m3, VOL.c.gcv_kwh_m3, VOL.c.reference).outerjoin(
        VOL, VOL.c.nomination_id == nominations.c.id)


def conf_dict(r: Any) -> dict[str, Any]:
    d = {c: getattr(r, c) for c in Confirmation.model_fields if c != "hour"}
    d["hour"] = None if r.slot < 0 else r.slot
    return d


def _tso_ips(caller: core.Caller) -> Any:
    return select(IP.c.id).where(or_(IP.c.tso == caller.id, IP.c.counter_tso == caller.id))


def _nom_visible(caller: core.Caller) -> ColumnElement[bool]:
    if caller.role == "admin":
        return nominations.c.id.is_not(None)
    if caller.role == "tso":
        return nominations.c.ip.in_(_tso_ips(caller))
    return nominations.c.shipper == caller.id


def _conf_visible(caller: core.Caller) -> ColumnElement[bool]:
    if caller.role == "admin":
        return confirmations.c.id.is_not(None)
    if caller.role == "tso":
        return confirmations.c.ip.in_(_tso_ips(caller))
    return or_(confirmations.c.shipper == caller.id, confirmations.c.counter_shipper == caller.id)


def _visible_nomination(session: Session, caller: core.Caller, nom_id: int) -> Any:
    row = session.execute(_noms().where(
        and_(nominations.c.id == nom_id, _nom_visible(caller)))).one_or_none()
    if row is None:
        raise not_found("nomination", nom_id)
    return row


def _deadline_problem(kind: str, day: date, when: datetime) -> Problem:
    when = when.astimezone(UTC)
    return Problem(409, f"the {kind} deadline for gas day {day.isoformat()} was "
                   f"{when.isoformat().replace('+00:00', 'Z')}", kind="deadline-passed",
                   errors=[{"field": "gas_day", "message": f"{kind} deadline "
                            f"{when.isoformat().replace('+00:00', 'Z')} has passed"}])


def _check_nomination(session: Session, caller: core.Caller, body: NominationIn) -> None:
    errors = []
    ip = session.execute(select(IP).where(IP.c.id == body.ip)).one_or_none()
    if ip is None:
        errors.append({"field": "ip", "message": f"unknown interconnection point {body.ip}"})
    elif {body.tso, body.counter_tso} != {ip.tso, ip.counter_tso} or body.tso == body.counter_tso:
        errors.append({"field": "tso", "message": f"tso and counter_tso must be the two TSOs "
                       f"of {body.ip}: {ip.tso} and {ip.counter_tso}"})
    cs = session.execute(select(parties.c.role).where(parties.c.id == body.counter_shipper)).first()
    if cs is None or cs.role != "shipper":
        errors.append({"field": "counter_shipper",
                       "message": f"{body.counter_shipper} is not a shipper"})
    if errors:
        raise Problem(422, "invalid nomination: " + "; ".join(
            f"{e['field']}: {e['message']}" for e in errors), kind="validation", errors=errors)


@router.post("/nominations", status_code=201, response_model=Nomination, tags=["nominations"])
def create_nomination(body: NominationIn, caller: CallerDep, session: SessionDep,
                      idempotency_key: IdemKey = None) -> JSONResponse:
    """Nominate (the caller is the shipper) before the nomination deadline."""
    if caller.role != "shipper":
        raise Problem(403, "only shippers nominate")
    deadlines: Deadlines = session.info["deadlines"]
    payload = body.fingerprint_payload()
    kwh, volume = body.energy()

    def change(s: Session) -> core.Result:
        _check_nomination(s, caller, body)
        when = deadlines.nomination_deadline(body.gas_day)
        if deadlines.clock() >= when:
            raise _deadline_problem("nomination", body.gas_day, when)
        slot = -1 if body.hour is None else body.hour
        key = {"gas_day": payload["gas_day"], "ip": body.ip, "tso": body.tso,
               "counter_tso": body.counter_tso, "shipper": caller.id,
               "counter_shipper": body.counter_shipper, "direction": body.direction,
               "slot": slot}
        old = s.execute(select(nominations.c.id).where(
            *(nominations.c[k] == v for k, v in key.items()))).first()
        if old is not None:
            raise Problem(409, f"nomination {old.id} has this key; renominate with PUT "
                          f"/nominations/{old.id}", kind="duplicate-nomination",
                          errors=[{"field": "gas_day", "message": "duplicate nomination key"}])
        now = audit.now_iso()
        row = {**key, "quantity_kwh": kwh, "version": 1, "created_at": now, "updated_at": now}
        nid = int(s.execute(nominations.insert().values(**row)
                            .returning(nominations.c.id)).scalar_one())
        if volume is not None:
            s.execute(VOL.insert().values(nomination_id=nid, **volume))
        out = nom_dict(_Row({**row, **(volume or {}), "id": nid}))
        audit.append(s, caller.id, "nominate", "nomination", nid, out)
        return core.Result(201, out, etag(1))

    res = core.write(session, caller.id, idempotency_key,
                     core.fingerprint("POST", "/nominations", payload), change)
    return respond(res)


class _Row:
    def __init__(self, d: dict[str, Any]) -> None:
        self.__dict__.update(d)


@router.get("/nominations", response_model=list[Nomination], tags=["nominations"])
def list_nominations(caller: CallerDep, session: SessionDep,
                     gas_day: Annotated[date | None, Query()] = None,
                     ip: IpQuery = None) -> list[dict[str, Any]]:
    q = _noms().where(_nom_visible(caller))
    if gas_day is not None:
        q = q.where(nominations.c.gas_day == gas_day.isoformat())
    if ip is not None:
        q = q.where(nominations.c.ip == ip)
    return [nom_dict(r) for r in session.execute(q.order_by(nominations.c.id))]


@router.get("/nominations/{nomination_id}", response_model=Nomination, tags=["nominations"])
def get_nomination(nomination_id: NomId, caller: CallerDep, session: SessionDep) -> JSONResponse:
    row = _visible_nomination(session, caller, nomination_id)
    return JSONResponse(nom_dict(row), headers={"ETag": etag(row.version)})


def _matches(if_match: str, version: int) -> bool:
    tags = [t.strip().removeprefix("W/") for t in if_match.split(",")]
    return etag(version) in tags


@router.put("/nominations/{nomination_id}", response_model=Nomination, tags=["nominations"])
def renominate(nomination_id: NomId, body: RenominationIn, caller: CallerDep, session: SessionDep,
               if_match: Annotated[str | None, Header(alias="If-Match", description=(
                   "The ETag of the version being changed (required)."))] = None,
               idempotency_key: IdemKey = None) -> JSONResponse:
    """Renominate (change the quantity) before the renomination deadline; If-Match required."""
    deadlines: Deadlines = session.info["deadlines"]
    payload = body.model_dump(mode="json")

    def change(s: Session) -> core.Result:
        row = _visible_nomination(s, caller, nomination_id)
        if row.shipper != caller.id:
            raise Problem(403, "only the shipper of a nomination renominates")
        if not if_match:
            raise Problem(428, "send If-Match with the nomination's ETag", errors=[
                {"field": "If-Match", "message": "required"}])
        day = date.fromisoformat(row.gas_day)
        when = deadlines.renomination_deadline(day)
        if deadlines.clock() >= when:
            raise _deadline_problem("renomination", day, when)
        stale = Problem(412, f"nomination {nomination_id} has changed: it is at version "
                        f"{row.version} (ETag {etag(row.version)}); GET it and apply your change "
                        "again", kind="stale-version", errors=[
                            {"field": "If-Match", "message": "does not match the current ETag"}])
        if not _matches(if_match, row.version):
            raise stale
        now = audit.now_iso()
        done = s.execute(update(nominations).where(
            nominations.c.id == nomination_id, nominations.c.version == row.version).values(
            quantity_kwh=body.quantity_kwh, version=row.version + 1, updated_at=now)
            .returning(nominations.c.id)).first()
        if done is None:  # pragma: no cover - the writers' lock serialises updates
            raise stale
        # a renomination is in kWh: a volume nomination's m3 basis no longer applies
        s.execute(delete(VOL).where(VOL.c.nomination_id == nomination_id))
        out = nom_dict(_Row({**row._asdict(), "quantity_kwh": body.quantity_kwh,
                             "version": row.version + 1, "updated_at": now,
                             **dict.fromkeys(VOLUME_FIELDS)}))
        audit.append(s, caller.id, "renominate", "nomination", nomination_id,
                     {**out, "previous_quantity_kwh": row.quantity_kwh,
                      **({"previous_volume_m3": row.volume_m3}
                         if row.volume_m3 is not None else {})})
        return core.Result(200, out, etag(row.version + 1))

    res = core.write(session, caller.id, idempotency_key, core.fingerprint(
        "PUT", f"/nominations/{nomination_id}", payload), change)
    return respond(res)


#: a pre-storage check of a matching: ``(session, ips, rows) -> extra body members``; it
#: sees the rows before they are stored and may refuse them by raising (nothing is stored)
Vet = Callable[[Session, list[str], list[dict[str, Any]]], dict[str, Any]]


@router.post("/gas-days/{gas_day}/matching", response_model=MatchingOut, tags=["matching"])
def match(gas_day: date, caller: CallerDep, session: SessionDep,
          rule: Annotated[Literal["lesser", "initiating", "matching"], Query()] = "lesser",
          ip: IpQuery = None,
          idempotency_key: IdemKey = None) -> JSONResponse:
    """Match the gas day's nominations at the caller's IPs (all IPs for the admin) and store
    the confirmations (replacing earlier ones for those IPs)."""
    return match_day(gas_day, caller, session, rule, ip, idempotency_key)


def match_day(gas_day: date, caller: core.Caller, session: Session, rule: str,
              ip: str | None, idempotency_key: str | None, *, vet: Vet | None = None,
              options: dict[str, Any] | None = None) -> JSONResponse:
    """The matching of :func:`match`; ``vet`` runs on the matched rows before they are stored
    (its members are added to the answer), ``options`` join the idempotency fingerprint."""
    if caller.role == "shipper":
        raise Problem(403, "only the TSOs of an interconnection point (or the admin) match")
    day = gas_day.isoformat()

    def change(s: Session) -> core.Result:
        q = select(IP)
        if caller.role == "tso":
            q = q.where(or_(IP.c.tso == caller.id, IP.c.counter_tso == caller.id))
        if ip is not None:
            q = q.where(IP.c.id == ip)
        ips = [core.ip_dict(r) for r in s.execute(q.order_by(IP.c.id))]
        if ip is not None and not ips:
            raise not_found("interconnection point", ip)
        ids = [p["id"] for p in ips]
        noms = [nom_dict(r) for r in s.execute(select(nominations).where(
            nominations.c.gas_day == day, nominations.c.ip.in_(ids)))]
        rows = run_matching(noms, ips, rule)
        now = audit.now_iso()
        for r in rows:
            r.update(rule=rule, matched_by=caller.id, matched_at=now)
        extra = vet(s, ids, rows) if vet is not None else {}
        s.execute(delete(confirmations).where(confirmations.c.gas_day == day,
                                              confirmations.c.ip.in_(ids)))
        if rows:
            s.execute(confirmations.insert(), [
                {**{k: v for k, v in r.items() if k != "hour"},
                 "slot": -1 if r["hour"] is None else r["hour"]} for r in rows])
        audit.append(s, caller.id, "match", "gas_day", day, {"rule": rule, "ips": ids, "confirmed": [
            [r["nomination_id"], r["confirmed_kwh"], r["reason"]] for r in rows],
            **({"options": options} if options else {}),
            **({"feasible": extra["hydraulic"]["feasible"]} if "hydraulic" in extra else {})})
        return core.Result(200, {"gas_day": day, "rule": rule, "ips": ids, "confirmations": rows,
                                 **extra})

    fp: dict[str, Any] = {"rule": rule, "ip": ip, **(options or {})}
    res = core.write(session, caller.id, idempotency_key, core.fingerprint(
        "POST", f"/gas-days/{day}/matching", fp), change)
    return respond(res)


@router.get("/confirmations", response_model=list[Confirmation], tags=["matching"])
def list_confirmations(caller: CallerDep, session: SessionDep,
                       gas_day: Annotated[date | None, Query()] = None,
                       ip: IpQuery = None) -> list[dict[str, Any]]:
    q = select(confirmations).where(_conf_visible(caller))
    if gas_day is not None:
        q = q.where(confirmations.c.gas_day == gas_day.isoformat())
    if ip is not None:
        q = q.where(confirmations.c.ip == ip)
    return [conf_dict(r) for r in session.execute(q.order_by(confirmations.c.id))]
