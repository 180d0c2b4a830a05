"""Who sees and changes what: for every endpoint and pair of parties (two shippers, TSOs at
different IPs, the admin), a party never reads or changes another's data: 404 (or 403 for
the admin's own endpoints), never the data."""

from __future__ import annotations

from typing import Any

import pytest

GAS_DAY = "2030-01-10"
IP_TSOS = {"IP1": {"A", "B"}, "IP2": {"C", "D"}}
COUNTER = {"S1": "S2", "S2": "S1", "S3": "S4", "S4": "S3"}
NOMS = ["S1@IP1", "S2@IP1", "S3@IP2", "S4@IP2"]
PARTIES = ["ADMIN", "A", "B", "C", "D", "S1", "S2", "S3", "S4"]


def _sees_nomination(reader: str, nom: str) -> bool:
    shipper, ip = nom.split("@")
    return reader in {"ADMIN", shipper} | IP_TSOS[ip]


def _sees_confirmation(reader: str, nom: str) -> bool:
    shipper, ip = nom.split("@")
    return reader in {"ADMIN", shipper, COUNTER[shipper]} | IP_TSOS[ip]


def _cases(pred: Any) -> list[Any]:
    return [pytest.param(r, n, id=f"{r}-{n}") for r in PARTIES for n in NOMS if not pred(r, n)]


@pytest.mark.parametrize(("reader", "nom"), _cases(_sees_nomination))
def test_nomination_of_another_party_is_404(world: Any, reader: str, nom: str) -> None:
    u, ids = world
    nid = ids[nom]
    c = u.client
    r = c.get(f"/nominations/{nid}", headers=u.h(reader))
    assert r.status_code == 404 and "quantity_kwh" not in r.text
    r = c.put(f"/nominations/{nid}", json={"quantity_kwh": 0},
              headers=u.h(reader, **{"If-Match": '"1"'}))
    assert r.status_code == 404
    listed = c.get("/nominations", params={"gas_day": GAS_DAY}, headers=u.h(reader)).json()
    assert nid not in [n["id"] for n in listed]
    owner = nom.split("@")[0]
    assert c.get(f"/nominations/{nid}", headers=u.h(owner)).json()["quantity_kwh"] == 1e6


@pytest.mark.parametrize(("reader", "nom"), _cases(_sees_confirmation))
def test_confirmation_of_another_party_is_hidden(world: Any, reader: str, nom: str) -> None:
    u, ids = world
    rows = u.client.get("/confirmations", params={"gas_day": GAS_DAY}, headers=u.h(reader))
    assert rows.status_code == 200
    assert ids[nom] not in [x["nomination_id"] for x in rows.json()]


@pytest.mark.parametrize(("reader", "nom"), [
    pytest.param(r, n, id=f"{r}-{n}") for r in PARTIES for n in NOMS
    if _sees_confirmation(r, n)])
def test_confirmation_visible_to_those_concerned(world: Any, reader: str, nom: str) -> None:
    u, ids = world
    rows = u.client.get("/confirmations", params={"gas_day": GAS_DAY}, headers=u.h(reader))
    assert ids[nom] in [x["nomination_id"] for x in rows.json()]


@pytest.mark.parametrize(("tso", "ip"), [("A", "IP2"), ("B", "IP2"), ("C", "IP1"),
                                         ("D", "IP1")])
def test_tso_cannot_match_another_ip(world: Any, tso: str, ip: str) -> None:
    u, _ = world
    r = u.client.post(f"/gas-days/{GAS_DAY}/matching", params={"ip": ip}, headers=u.h(tso))
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    own = u.client.post(f"/gas-days/{GAS_DAY}/matching", headers=u.h(tso)).json()
    assert ip not in own["ips"]


@pytest.mark.parametrize(("party", "nom"), [("A", "S1@IP1"), ("B", "S2@IP1"), ("C", "S3@IP2")])
def test_tso_reads_but_cannot_renominate(world: Any, party: str, nom: str) -> None:
    u, ids = world
    r = u.client.put(f"/nominations/{ids[nom]}", json={"quantity_kwh": 0},
                     headers=u.h(party, **{"If-Match": '"1"'}))
    assert r.status_code == 403
    assert u.client.get(f"/nominations/{ids[nom]}", headers=u.h(party)).status_code == 200


@pytest.mark.parametrize("party", ["S1", "S2", "S3", "S4"])
def test_shippers_cannot_match(world: Any, party: str) -> None:
    u, _ = world
    r = u.client.post(f"/gas-days/{GAS_DAY}/matching", headers=u.h(party))
    assert r.status_code == 403


@pytest.mark.parametrize("party", [p for p in PARTIES if p != "ADMIN"])
@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/audit", None),
    ("POST", "/parties", {"id": "X1", "name": "x", "role": "shipper", "country": "KZ"}),
    ("POST", "/parties/S1/tokens", None),
    ("POST", "/interconnection-points", {"id": "IPX", "name": "x", "tso": "A",
                                         "counter_tso": "C"}),
])
def test_admin_endpoints_refuse_other_parties(world: Any, party: str, method: str, path: str,
                                              body: Any) -> None:
    u, _ = world
    r = u.client.request(method, path, json=body, headers=u.h(party))
    assert r.status_code == 403 and "token" not in r.json()


@pytest.mark.parametrize("party", PARTIES)
def test_me_is_the_caller(world: Any, party: str) -> None:
    u, _ = world
    assert u.client.get("/parties/me", headers=u.h(party)).json()["id"] == party


def test_unauthenticated_requests_are_401(world: Any) -> None:
    u, ids = world
    for method, path in (("GET", "/nominations"), ("GET", f"/nominations/{ids['S1@IP1']}"),
                         ("GET", "/confirmations"), ("GET", "/interconnection-points"),
                         ("POST", f"/gas-days/{GAS_DAY}/matching")):
        assert u.client.request(method, path).status_code == 401
