"""The hydraulic check of a gas day through the service: the Central Asia union as
``gasunion serve --demo`` loads it, nominations at Aleksandrov Gai (RU -> KZ) matched, the
confirmations simulated on the network; an overloaded day is flagged naming the elements."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("alembic")

from fastapi.testclient import TestClient
from sqlalchemy import update

from gasunion.datasets.central_asia import central_asia
from gasunion.network import Network
from gasunion.service.admin import load_demo, open_db
from gasunion.service.app import create_app
from gasunion.service.hydraulic import NO_NETWORK
from gasunion.service.nominations import Deadlines
from gasunion.service.tables import interconnection_points
from gasunion.simulation.prepared import Simulator

IP = "BRD_KZ_RU_CAC"  # Aleksandrov Gai: forward KZ (ICA) -> RU (GAZPROM); RU -> KZ is reverse
OWN_DAY, BIG_DAY = "2030-01-10", "2030-01-11"
World = tuple[TestClient, dict[str, dict[str, str]], Network]


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url = f"sqlite:///{tmp_path_factory.mktemp('ca') / 'service.db'}"
    engine = open_db(url)
    tokens = load_demo(engine)
    # the demo's reverse capacity at the IP (18 mcm/d) would cut 80 mcm/d at matching
    # already; lift it so that the overloaded day reaches the confirmations
    with engine.begin() as c:
        c.execute(update(interconnection_points).where(interconnection_points.c.id == IP)
                  .values(capacity_reverse_kwh_d=None))
    engine.dispose()
    net = central_asia("2023")
    app = create_app(url, deadline=Deadlines(clock=lambda: datetime(2030, 1, 8, 12, tzinfo=UTC)), network=net)
    auth = {p: {"Authorization": f"Bearer {t}"} for p, t in tokens.items()}
    with TestClient(app) as client:
        yield client, auth, net
    app.state.engine.dispose()


def _nominate(client: TestClient, auth: dict[str, dict[str, str]], day: str,
              kwh: float) -> None:
    for shipper, tso, ctso, cs, d in (("LUKOIL", "GAZPROM", "ICA", "QAZAQGAZ", "exit"),
                                      ("QAZAQGAZ", "ICA", "GAZPROM", "LUKOIL", "entry")):
        r = client.post("/nominations", headers=auth[shipper], json={
            "gas_day": day, "ip": IP, "tso": tso, "counter_tso": ctso, "counter_shipper": cs,
            "direction": d, "quantity_kwh": kwh})
        assert r.status_code == 201, r.text


def _nominate_and_match(client: TestClient, auth: dict[str, dict[str, str]], day: str,
                        kwh: float) -> dict[str, Any]:
    _nominate(client, auth, day, kwh)
    r = client.post(f"/gas-days/{day}/matching", params={"ip": IP, "check": "true"},
                    headers=auth["ICA"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert {c["confirmed_kwh"] for c in body["confirmations"]} == {kwh}
    return body


def test_own_volume_is_feasible_and_80_mcm_d_is_flagged(ca: World) -> None:
    client, auth, net = ca
    kwh_per_m3 = net.gas.calorific_value_mj_m3 / 3.6
    res = Simulator(net).run()
    own_kg_s = res.pipes["mass_flow_kg_s"][net.pipes["interconnection"] == IP].sum()
    assert own_kg_s < 0  # the scenario's own flow runs RU -> KZ
    own_mcm_d = abs(net.gas.mcm_d_from_kg_s(own_kg_s))

    body = _nominate_and_match(client, auth, OWN_DAY, own_mcm_d * 1e6 * kwh_per_m3)
    h = body["hydraulic"]
    assert h["feasible"], h["violations"]
    assert h["violations"] == []
    (flow,) = h["border_flows"]
    assert flow["ip"] == IP and flow["direction"] == "reverse" and flow["imposed"]
    assert flow["confirmed_mcm_d"] == pytest.approx(-own_mcm_d, rel=1e-6)
    assert flow["simulated_mcm_d"] == pytest.approx(-own_mcm_d, rel=1e-3)

    # 80 mcm/d: the check runs on the matched quantities before storing -> 409, nothing stored
    _nominate(client, auth, BIG_DAY, 80e6 * kwh_per_m3)
    r = client.post(f"/gas-days/{BIG_DAY}/matching", params={"ip": IP, "check": "true"},
                    headers={**auth["ICA"], "Idempotency-Key": "big-1"})
    assert r.status_code == 409, r.text
    assert r.headers["content-type"] == "application/problem+json"
    doc = r.json()
    assert doc["type"].endswith("/hydraulically-infeasible")
    assert IP in doc["detail"] and "CAC_08/1" in doc["detail"]
    assert doc["hydraulic"]["feasible"] is False and doc["hydraulic"]["violations"]
    assert client.get("/confirmations", params={"gas_day": BIG_DAY},
                      headers=auth["ADMIN"]).json() == []
    # force=true stores them anyway, flagged (another request: another Idempotency-Key)
    r = client.post(f"/gas-days/{BIG_DAY}/matching",
                    params={"ip": IP, "check": "true", "force": "true"},
                    headers={**auth["ICA"], "Idempotency-Key": "big-2"})
    assert r.status_code == 200, r.text
    assert r.json()["hydraulic"]["feasible"] is False
    stored = client.get("/confirmations", params={"gas_day": BIG_DAY}, headers=auth["ADMIN"])
    assert {c["confirmed_kwh"] for c in stored.json()} == {80e6 * kwh_per_m3}
    # the same key with the same request replays the stored answer
    again = client.post(f"/gas-days/{BIG_DAY}/matching",
                        params={"ip": IP, "check": "true", "force": "true"},
                        headers={**auth["ICA"], "Idempotency-Key": "big-2"})
    assert again.status_code == 200 and again.json() == r.json()
    r = client.post(f"/gas-days/{BIG_DAY}/hydraulic-check", headers=auth["GAZPROM"])
    assert r.status_code == 200, r.text
    h = r.json()
    assert h["gas_day"] == BIG_DAY and not h["feasible"]
    elements = {v["element"] for v in h["violations"]}
    assert {IP, "CAC_08/1", "CAC_08/2"} <= elements, elements
    ip_rows = [v for v in h["violations"] if v["component"] == "interconnections"]
    assert ip_rows and ip_rows[0]["element"] == IP and ip_rows[0]["unit"] == "mcm/d"
    assert h["border_flows"][0]["confirmed_mcm_d"] == pytest.approx(-80, rel=1e-6)
    # the admin sees the same day; the own day checks again from the stored confirmations
    assert client.post(f"/gas-days/{BIG_DAY}/hydraulic-check",
                       headers=auth["ADMIN"]).json()["feasible"] is False
    assert client.post(f"/gas-days/{OWN_DAY}/hydraulic-check",
                       headers=auth["ICA"]).json()["feasible"] is True


def test_access(ca: World) -> None:
    client, auth, _ = ca
    r = client.post(f"/gas-days/{OWN_DAY}/hydraulic-check", headers=auth["LUKOIL"])
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    # a TSO checks only its own IPs: Uztransgaz does not operate Aleksandrov Gai
    r = client.post(f"/gas-days/{BIG_DAY}/hydraulic-check", headers=auth["UZTRANSGAZ"])
    assert r.status_code == 200, r.text
    assert r.json()["border_flows"] == []
    assert client.post(f"/gas-days/{BIG_DAY}/hydraulic-check").status_code == 401


def test_no_network_is_409(union: Any) -> None:  # conftest's union: no network
    r = union.client.post("/gas-days/2030-01-10/hydraulic-check", headers=union.h("A"))
    assert r.status_code == 409
    assert r.json()["detail"] == NO_NETWORK
    r = union.client.post("/gas-days/2030-01-10/matching", params={"check": "true"},
                          headers=union.h("A"))
    assert r.status_code == 409
    # without ?check the matching answers as before
    r = union.client.post("/gas-days/2030-01-10/matching", headers=union.h("A"))
    assert r.status_code == 200 and "hydraulic" not in r.json()


def test_a_network_that_cannot_be_simulated_is_409_not_500(tmp_path: Any) -> None:
    """A configured network with an invalid element (a negative pipe length, as a hand-edited
    file could carry) makes the check a 409 problem naming the cause: the service's set-up
    is at fault, not the request, and it is not an internal error."""
    url = f"sqlite:///{tmp_path / 'service.db'}"
    engine = open_db(url)
    tokens = load_demo(engine)
    engine.dispose()
    net = central_asia("2023")
    net.pipes.iloc[0, net.pipes.columns.get_loc("length_km")] = -5.0
    app = create_app(url, network=net)
    with TestClient(app) as client:
        r = client.post("/gas-days/2030-01-10/hydraulic-check",
                        headers={"Authorization": f"Bearer {tokens['ICA']}"})
    app.state.engine.dispose()
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["type"].endswith("network-not-simulable") and "length_km" in body["detail"]
