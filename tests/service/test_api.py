"""The coordination service end to end through its HTTP API (SQLite, and PostgreSQL when
$GASUNION_TEST_PG_URL is set)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text

from gasunion.service.audit import verify
from gasunion.service.db import resolve_url
from gasunion.service.nominations import Deadlines

GAS_DAY = "2030-01-10"
Union = Any  # the ``union`` fixture of conftest.py

PAIR_A = {"gas_day": GAS_DAY, "ip": "IP1", "tso": "A", "counter_tso": "B",
          "counter_shipper": "S2", "direction": "exit"}
PAIR_B = {"gas_day": GAS_DAY, "ip": "IP1", "tso": "B", "counter_tso": "A",
          "counter_shipper": "S1", "direction": "entry"}


def test_health_and_openapi(union: Union) -> None:
    c = union.client
    assert c.get("/health").json() == {"status": "ok"}
    paths = c.get("/openapi.json").json()["paths"]
    assert {"/nominations", "/nominations/{nomination_id}", "/gas-days/{gas_day}/matching",
            "/confirmations", "/audit", "/parties", "/parties/me"} <= set(paths)
    assert c.get("/docs").status_code == 200


def test_parties_and_tokens(union: Union) -> None:
    c = union.client
    assert c.get("/parties/me", headers=union.h("S1")).json()["role"] == "shipper"
    r = c.get("/parties/me")
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    assert c.get("/parties/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    r = c.post("/parties", json={"id": "A", "name": "x", "role": "tso", "country": "KZ"},
               headers=union.h("ADMIN"))
    assert r.status_code == 409
    r = c.post("/parties", json={"id": "E", "name": "x", "role": "king", "country": "KZ"},
               headers=union.h("ADMIN"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "role"
    r = c.post("/parties", json={"id": "E", "name": "x", "role": "tso", "country": "KZ"},
               headers=union.h("S1"))
    assert r.status_code == 403
    # tokens are stored hashed only
    eng = create_engine(resolve_url(union.db_url))
    with eng.connect() as conn:
        hashes = [h for (h,) in conn.execute(text("SELECT token_hash FROM tokens"))]
    eng.dispose()
    token = union.auth["S1"]["Authorization"].split()[1]
    assert token not in hashes and all(len(h) == 64 for h in hashes)


def test_nomination_validation_names_the_field(union: Union) -> None:
    r = union.nominate("S1", **{**PAIR_A, "quantity_kwh": -1})
    assert r.status_code == 422
    doc = r.json()
    assert r.headers["content-type"] == "application/problem+json"
    assert {"type", "title", "status", "detail", "instance"} <= set(doc)
    assert doc["errors"][0]["field"] == "quantity_kwh" and doc["instance"] == "/nominations"
    r = union.nominate("S1", **{**PAIR_A, "ip": "IP2", "quantity_kwh": 1})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "tso"
    r = union.nominate("S1", **{**PAIR_A, "counter_shipper": "A", "quantity_kwh": 1})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "counter_shipper"
    assert union.nominate("A", **{**PAIR_A, "quantity_kwh": 1}).status_code == 403


def test_nominate_and_renominate(union: Union) -> None:
    c = union.client
    r = union.nominate("S1", **PAIR_A, quantity_kwh=12e6)
    assert r.status_code == 201, r.text
    nom = r.json()
    assert nom["version"] == 1 and nom["shipper"] == "S1" and r.headers["ETag"] == '"1"'
    assert union.nominate("S1", **PAIR_A, quantity_kwh=1).status_code == 409  # same key
    path = f"/nominations/{nom['id']}"
    assert c.get(path, headers=union.h("S1")).headers["ETag"] == '"1"'
    assert [n["id"] for n in c.get("/nominations", params={"gas_day": GAS_DAY},
                                   headers=union.h("S1")).json()] == [nom["id"]]
    r = c.put(path, json={"quantity_kwh": 11e6}, headers=union.h("S1"))
    assert r.status_code == 428
    r = c.put(path, json={"quantity_kwh": 11e6}, headers=union.h("S1", **{"If-Match": '"1"'}))
    assert r.status_code == 200 and r.json()["version"] == 2 and r.headers["ETag"] == '"2"'
    assert c.get(path, headers=union.h("S1")).json()["quantity_kwh"] == 11e6


def test_two_concurrent_editors_nothing_lost(union: Union) -> None:
    c = union.client
    nom = union.nominate("S1", **PAIR_A, quantity_kwh=10e6).json()
    path = f"/nominations/{nom['id']}"
    # two editors (two sessions of S1) read version 1
    etag1 = c.get(path, headers=union.h("S1")).headers["ETag"]
    etag2 = c.get(path, headers=union.h("S1")).headers["ETag"]
    first = c.put(path, json={"quantity_kwh": 7e6}, headers=union.h("S1", **{"If-Match": etag1}))
    second = c.put(path, json={"quantity_kwh": 9e6}, headers=union.h("S1", **{"If-Match": etag2}))
    assert first.status_code == 200
    assert second.status_code == 412
    assert second.json()["errors"][0]["field"] == "If-Match"
    assert c.get(path, headers=union.h("S1")).json()["quantity_kwh"] == 7e6  # the first stays
    # the second editor re-reads and applies the change: both changes are in the history
    etag = c.get(path, headers=union.h("S1")).headers["ETag"]
    assert c.put(path, json={"quantity_kwh": 9e6},
                 headers=union.h("S1", **{"If-Match": etag})).status_code == 200
    log = c.get("/audit", headers=union.h("ADMIN")).json()
    renoms = [r["data"]["quantity_kwh"] for r in log if r["action"] == "renominate"]
    assert renoms == [7e6, 9e6]


def test_idempotency(union: Union) -> None:
    c = union.client
    h = union.h("S1", **{"Idempotency-Key": "k-1"})
    body = {**PAIR_A, "quantity_kwh": 5e6}
    r1 = c.post("/nominations", json=body, headers=h)
    r2 = c.post("/nominations", json=body, headers=h)
    assert r1.status_code == r2.status_code == 201
    assert r1.json() == r2.json() and r2.headers["ETag"] == r1.headers["ETag"]
    assert len(c.get("/nominations", headers=union.h("S1")).json()) == 1
    r3 = c.post("/nominations", json={**body, "quantity_kwh": 6e6}, headers=h)
    assert r3.status_code == 422 and r3.json()["errors"][0]["field"] == "Idempotency-Key"
    # keys are per party: S2 may use the same key
    r4 = c.post("/nominations", json={**PAIR_B, "quantity_kwh": 5e6},
                headers=union.h("S2", **{"Idempotency-Key": "k-1"}))
    assert r4.status_code == 201
    # an idempotent renomination replays instead of failing on the old If-Match
    path = f"/nominations/{r1.json()['id']}"
    h = union.h("S1", **{"Idempotency-Key": "k-2", "If-Match": '"1"'})
    a = c.put(path, json={"quantity_kwh": 4e6}, headers=h)
    b = c.put(path, json={"quantity_kwh": 4e6}, headers=h)
    assert a.status_code == b.status_code == 200 and a.json() == b.json()
    # a token is not shown again on a replay
    h = union.h("ADMIN", **{"Idempotency-Key": "tok"})
    t1 = c.post("/parties/S1/tokens", headers=h).json()
    t2 = c.post("/parties/S1/tokens", headers=h).json()
    assert t1["token"] and t2["token"] is None


def test_deadlines(union: Union) -> None:
    c = union.client
    nom = union.nominate("S1", **PAIR_A, quantity_kwh=10e6).json()
    union.clock.now = datetime(2030, 1, 9, 13, 0, tzinfo=UTC)  # D-1 13:00 UTC: too late
    r = union.nominate("S2", **PAIR_B, quantity_kwh=10e6)
    assert r.status_code == 409
    assert "2030-01-09T13:00:00Z" in r.json()["detail"]
    assert r.json()["errors"][0]["field"] == "gas_day"
    # renominations stay open until D+1 02:00 UTC
    path = f"/nominations/{nom['id']}"
    ok = c.put(path, json={"quantity_kwh": 8e6}, headers=union.h("S1", **{"If-Match": '"1"'}))
    assert ok.status_code == 200
    union.clock.now = datetime(2030, 1, 11, 2, 0, tzinfo=UTC)
    late = c.put(path, json={"quantity_kwh": 7e6}, headers=union.h("S1", **{"If-Match": '"2"'}))
    assert late.status_code == 409 and "2030-01-11T02:00:00Z" in late.json()["detail"]


def test_gas_day_in_another_time_zone(union: Union) -> None:
    """A 06:00-06:00 Asia/Almaty gas day: the deadlines follow its start (UTC+5 in tzdata
    2024b and later, UTC+6 before: D-1 09:00 or 08:00 UTC instead of D-1 13:00 UTC)."""
    almaty = ZoneInfo("Asia/Almaty")
    d = Deadlines(start_hour=6, time_zone="Asia/Almaty", clock=union.clock)
    start = datetime(2030, 1, 10, 6, tzinfo=almaty)
    assert d.gas_day_start(date(2030, 1, 10)) == start
    assert d.nomination_deadline(date(2030, 1, 10)) == start - timedelta(hours=16)
    assert d.renomination_deadline(date(2030, 1, 10)) == start + timedelta(hours=21)
    assert d.nomination_deadline(date(2030, 1, 10)).utcoffset() == timedelta(0)
    # the default is unchanged: 05:00-05:00 UTC
    assert Deadlines().nomination_deadline(date(2030, 1, 10)) == datetime(2030, 1, 9, 13,
                                                                        tzinfo=UTC)
    with pytest.raises(ValueError):
        Deadlines(start_hour=24)
    # through the API: the app's sessions carry the deadlines
    union.client.app.state.sessions.kw["info"]["deadlines"] = d  # type: ignore[attr-defined]
    union.clock.now = datetime(2030, 1, 9, 7, 59, tzinfo=UTC)
    assert union.nominate("S1", **PAIR_A, quantity_kwh=1e6).status_code == 201
    union.clock.now = datetime(2030, 1, 9, 10, 0, tzinfo=UTC)  # before 13:00 UTC, too late here
    r = union.nominate("S2", **PAIR_B, quantity_kwh=1e6)
    assert r.status_code == 409, r.text
    when = (start - timedelta(hours=16)).astimezone(UTC).isoformat().replace("+00:00", "Z")
    assert when in r.json()["detail"]


def test_volume_nominations(union: Union) -> None:
    """quantity_kwh or volume_m3 with gcv_kwh_m3 (and the GCV's reference conditions):
    quantity_kwh = volume_m3 x gcv_kwh_m3, both stored and echoed; exactly one of the two."""
    c = union.client
    vol = {"volume_m3": 1.2e6, "gcv_kwh_m3": 11.2, "reference": "20/25 C"}
    r = union.nominate("S1", **PAIR_A, **vol)
    assert r.status_code == 201, r.text
    nom = r.json()
    assert nom["quantity_kwh"] == pytest.approx(1.2e6 * 11.2)
    assert {k: nom[k] for k in vol} == vol
    got = c.get(f"/nominations/{nom['id']}", headers=union.h("S1")).json()
    assert got["quantity_kwh"] == nom["quantity_kwh"] and {k: got[k] for k in vol} == vol
    listed = c.get("/nominations", headers=union.h("A")).json()
    assert [n["volume_m3"] for n in listed] == [1.2e6]
    # an energy nomination echoes no volume
    r = union.nominate("S2", **PAIR_B, quantity_kwh=10e6)
    assert r.status_code == 201 and r.json()["volume_m3"] is None
    # the volume's energy is matched
    m = c.post(f"/gas-days/{GAS_DAY}/matching", headers=union.h("A")).json()
    assert {x["confirmed_kwh"] for x in m["confirmations"]} == {10e6}
    # a renomination is in kWh: the volume basis goes
    r = c.put(f"/nominations/{nom['id']}", json={"quantity_kwh": 9e6},
              headers=union.h("S1", **{"If-Match": '"1"'}))
    assert r.status_code == 200 and r.json()["volume_m3"] is None
    assert c.get(f"/nominations/{nom['id']}", headers=union.h("S1")).json()["gcv_kwh_m3"] is None
    # exactly one of quantity_kwh and volume_m3; the GCV and its reference with the volume
    other = {**PAIR_A, "counter_shipper": "S4"}
    for body, field in (({"quantity_kwh": 1.0, **vol}, "volume_m3"),
                        ({}, "quantity_kwh"),
                        ({"volume_m3": 1.0, "reference": "20/25 C"}, "gcv_kwh_m3"),
                        ({"volume_m3": 1.0, "gcv_kwh_m3": 11.2}, "reference"),
                        ({"quantity_kwh": 1.0, "gcv_kwh_m3": 11.2}, "gcv_kwh_m3"),
                        ({**vol, "gcv_kwh_m3": 0}, "gcv_kwh_m3"),
                        ({**vol, "reference": "STP"}, "reference")):
        r = union.nominate("S1", **other, **body)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["errors"][0]["field"] == field, (body, r.json())
        assert field in r.json()["detail"]


def test_matching_lesser_rule(union: Union) -> None:
    """IP1 forward (A -> B) capacity 20 GWh/d. Pair S1/S2 nominates 12 (A side) and 11.5
    (B side): lesser rule 11.5. Pair S1/S4: 10 and 10 -> matched 10. Forward total 11.5 + 10
    = 21.5 > 20: pro rata x 20/21.5 -> 10.697674 and 9.302326 GWh. S2's nomination towards S3
    has no counter-nomination: confirms 0."""
    c = union.client
    union.nominate("S1", **PAIR_A, quantity_kwh=12e6)
    union.nominate("S2", **PAIR_B, quantity_kwh=11.5e6)
    union.nominate("S1", **{**PAIR_A, "counter_shipper": "S4"}, quantity_kwh=10e6)
    union.nominate("S4", **{**PAIR_B, "counter_shipper": "S1"}, quantity_kwh=10e6)
    union.nominate("S2", **{**PAIR_B, "counter_shipper": "S3"}, quantity_kwh=3e6)
    assert c.post(f"/gas-days/{GAS_DAY}/matching", headers=union.h("S1")).status_code == 403
    r = c.post(f"/gas-days/{GAS_DAY}/matching", headers=union.h("A"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["ips"] == ["IP1"] and out["rule"] == "lesser"
    got = {(x["shipper"], x["counter_shipper"]): x["confirmed_kwh"] for x in out["confirmations"]}
    f = 20e6 / 21.5e6
    assert got[("S1", "S2")] == pytest.approx(11.5e6 * f)
    assert got[("S2", "S1")] == pytest.approx(11.5e6 * f)
    assert got[("S1", "S4")] == pytest.approx(10e6 * f)
    assert got[("S4", "S1")] == pytest.approx(10e6 * f)
    assert got[("S2", "S3")] == 0.0
    # stored and visible to both shippers concerned, not to others
    s2 = c.get("/confirmations", params={"gas_day": GAS_DAY}, headers=union.h("S2")).json()
    assert {(x["shipper"], x["counter_shipper"]) for x in s2} == {("S1", "S2"), ("S2", "S1"),
                                                                  ("S2", "S3")}
    assert c.get("/confirmations", headers=union.h("S3")).json() == [
        x for x in s2 if x["counter_shipper"] == "S3"]
    assert c.get("/confirmations", headers=union.h("C")).json() == []
    assert len(c.get("/confirmations", headers=union.h("B")).json()) == 5
    # without the capacity limit: the pure lesser rule
    reason = {(x["shipper"], x["counter_shipper"]): x["reason"] for x in out["confirmations"]}
    assert reason[("S1", "S2")].startswith("lesser rule: reduced from 12000000")


def test_audit_chain_verifies_and_detects_tampering(union: Union) -> None:
    c = union.client
    union.nominate("S1", **PAIR_A, quantity_kwh=12e6)
    log = c.get("/audit", headers=union.h("ADMIN")).json()
    assert [r["seq"] for r in log] == list(range(1, len(log) + 1))
    assert all(r["prev_hash"] == p["hash"] for p, r in itertools.pairwise(log))
    assert c.get("/audit", headers=union.h("A")).status_code == 403
    eng = create_engine(resolve_url(union.db_url))
    assert verify(eng).ok
    with eng.begin() as conn:
        conn.execute(text("UPDATE audit_log SET data = REPLACE(data, '12000000', '1200000') "
                          "WHERE action = 'nominate'"))
    v = verify(eng)
    eng.dispose()
    assert not v.ok and v.broken_seq == log[-1]["seq"]


def test_parallel_renominations_exactly_one_wins(union: Union) -> None:
    from concurrent.futures import ThreadPoolExecutor

    c = union.client
    nom = union.nominate("S1", **PAIR_A, quantity_kwh=10e6).json()
    path = f"/nominations/{nom['id']}"

    def put(q: float) -> int:
        return c.put(path, json={"quantity_kwh": q},
                     headers=union.h("S1", **{"If-Match": '"1"'})).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(put, [float(i) for i in range(8)]))
    assert sorted(codes) == [200] + [412] * 7
    final = c.get(path, headers=union.h("S1")).json()
    assert final["version"] == 2
    eng = create_engine(resolve_url(union.db_url))
    assert verify(eng).ok
    eng.dispose()


def test_a_body_that_is_not_json_names_the_body(union: Union) -> None:
    """A malformed JSON body is a 422 about the body (with the character), not about a field
    called "1" (the byte offset pydantic puts in the error's location)."""
    r = union.client.post("/nominations", content=b"{not json",
                          headers={**union.h("S1"), "Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    (err,) = r.json()["errors"]
    assert err["field"] == "body" and "not valid JSON at character 1" in err["message"]
