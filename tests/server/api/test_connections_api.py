"""/api/connections and /api/connectors on a real server (uvicorn on 127.0.0.1, fresh data directory): admin
only, problem details naming the field, secrets masked in every answer, partial updates, recorded tests; and a
planted credential that goes through create, list, test, update and a key rotation and is then found nowhere:
not in any file of the data directory (the app database, its WAL), not in the server's log, not in any output."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.connectors import GOOD_TOKEN, KIND, FakeConnector, registered_fake
from support.logs import process_log
from support.server import LiveServer, empty_server
from typer.testing import CliRunner

from growthos.cli import app as cli


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeConnector]:
    with registered_fake() as connector:
        yield connector


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, fake: FakeConnector) -> Iterator[LiveServer]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("GROWTHOS_ENCRYPTION_KEY", raising=False)
        with empty_server(tmp_path_factory.mktemp("connections-api")) as live:
            yield live


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=server.auth("admin"), timeout=30) as client:
        yield client


def new(name: str, token: str = GOOD_TOKEN, **values: str) -> dict:
    return {"name": name, "kind": KIND, "values": {"account": "acme", "token": token, **values}}


def problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


# -- access -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/connectors"), ("GET", "/api/connections"), ("POST", "/api/connections"),
    ("GET", "/api/connections/x"), ("PATCH", "/api/connections/x"), ("DELETE", "/api/connections/x"),
    ("POST", "/api/connections/x/test"),
])
def test_admin_only(server: LiveServer, method: str, path: str) -> None:
    assert httpx.request(method, server.url + path, json={}).status_code == 401
    for scope in ("read", "ingest"):
        response = httpx.request(method, server.url + path, json={}, headers=server.auth(scope))
        assert problem(response, 403)["detail"] == f"this needs a key with scope 'admin'; yours has '{scope}'"


# -- create, read -------------------------------------------------------------------------------------------


def test_create_get_and_list_mask_secrets(admin: httpx.Client) -> None:
    response = admin.post("/api/connections", json={**new("api-shop", region="eu"),
                                                     "api_base_url": "http://127.0.0.1:9/"})
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/api/connections/api-shop"
    created = response.json()
    assert GOOD_TOKEN not in response.text
    assert {k: created[k] for k in ("name", "kind", "settings", "secrets", "api_base_url", "last_test")} == {
        "name": "api-shop", "kind": KIND, "settings": {"account": "acme", "region": "eu"},
        "secrets": {"token": "••••3210"}, "api_base_url": "http://127.0.0.1:9", "last_test": None}
    assert admin.get("/api/connections/api-shop").json() == created
    listed = admin.get("/api/connections")
    assert listed.status_code == 200 and GOOD_TOKEN not in listed.text
    assert created in listed.json()["connections"]


def test_connectors_describe_the_form(admin: httpx.Client) -> None:
    response = admin.get("/api/connectors")
    assert response.status_code == 200
    kinds = {c["kind"]: c for c in response.json()["connectors"]}
    assert kinds[KIND] == {"kind": KIND, "label": "Test API", "fields": [
        {"name": "account", "label": "Account", "secret": False, "required": True, "help": "acme"},
        {"name": "token", "label": "API token", "secret": True, "required": True, "help": ""},
        {"name": "region", "label": "Region", "secret": False, "required": False, "help": ""},
        {"name": "refresh_token", "label": "Refresh token", "secret": True, "required": False, "help": ""},
    ]}
    assert "shopify" in kinds  # the shipped connector is registered too


@pytest.mark.parametrize(("body", "field", "reason"), [
    (new("Bad_Name"), "name", "name must be lowercase letters, digits and dashes"),
    ({**new("bad-kind"), "kind": "nope"}, "kind", "kind must be a known connector"),
    ({"name": "no-token", "kind": KIND, "values": {"account": "acme"}}, "token", "API token (token) is required"),
    (new("extra-field", colour="red"), "colour", "'colour' is not a field of a testapi connection"),
    ({**new("bad-url"), "api_base_url": "ftp://x"}, "api_base_url", "must be an http:// or https:// URL"),
    ({**new("bad-type"), "values": {"account": "acme", "token": 12}}, "token", "token must be a string"),
    ({**new("unknown-key"), "secret": "x"}, "secret", "Extra inputs are not permitted"),
    ({"kind": KIND}, "name", "Field required"),
])
def test_invalid_input_is_422_naming_the_field(admin: httpx.Client, body: dict, field: str, reason: str) -> None:
    body_problem = problem(admin.post("/api/connections", json=body), 422)
    [param] = body_problem["invalid_params"]
    assert param["name"] == field and reason in param["reason"]
    assert admin.get(f"/api/connections/{body.get('name', 'x')}").status_code in (404, 422)


def test_duplicate_is_409(admin: httpx.Client) -> None:
    assert admin.post("/api/connections", json=new("dup")).status_code == 201
    conflict = problem(admin.post("/api/connections", json=new("dup", "tk_other_token_0000")), 409)
    assert conflict["invalid_params"] == [{"name": "name", "reason": "a connection named 'dup' already exists"}]


def test_unknown_connection_is_404_naming_it(admin: httpx.Client) -> None:
    for method, path in (("GET", "/api/connections/ghost"), ("PATCH", "/api/connections/ghost"),
                         ("DELETE", "/api/connections/ghost"), ("POST", "/api/connections/ghost/test")):
        body = problem(admin.request(method, path, json={} if method == "PATCH" else None), 404)
        assert body["detail"] == "no connection named 'ghost'" and body["instance"] == path


# -- update, test, delete -------------------------------------------------------------------------------------


def test_patch_is_partial(admin: httpx.Client) -> None:
    body = {**new("patched", "tk_wrong_token_4242", region="eu"), "api_base_url": "http://127.0.0.1:9"}
    assert admin.post("/api/connections", json=body).status_code == 201
    kept = admin.patch("/api/connections/patched", json={"values": {"region": "us"}})
    assert kept.status_code == 200, kept.text
    assert kept.json()["secrets"] == {"token": "••••4242"} and kept.json()["settings"]["region"] == "us"
    assert kept.json()["api_base_url"] == "http://127.0.0.1:9"  # omitted: kept
    changed = admin.patch("/api/connections/patched", json={"values": {"token": GOOD_TOKEN, "region": None},
                                                            "api_base_url": None}).json()
    assert changed["secrets"] == {"token": "••••3210"} and changed["settings"] == {"account": "acme"}
    assert changed["api_base_url"] is None
    refused = problem(admin.patch("/api/connections/patched", json={"values": {"token": None}}), 422)
    assert refused["invalid_params"][0]["name"] == "token"


def test_test_records_the_outcome(admin: httpx.Client, fake: FakeConnector) -> None:
    assert admin.post("/api/connections", json=new("tested")).status_code == 201
    assert admin.post("/api/connections", json=new("failing", "tk_wrong_token_4242")).status_code == 201
    ok = admin.post("/api/connections/tested/test")
    assert ok.status_code == 200 and ok.json()["ok"] is True
    assert ok.json()["message"] == "account acme at https://api.test.example"
    failed = admin.post("/api/connections/failing/test")
    assert failed.status_code == 200
    assert failed.json()["ok"] is False
    assert failed.json()["message"] == "401 Unauthorized: invalid API token '••••4242'"
    assert "tk_wrong_token_4242" not in failed.text
    last = admin.get("/api/connections/failing").json()["last_test"]
    assert last == {"at": failed.json()["tested_at"], "ok": False, "message": failed.json()["message"]}


def test_delete(admin: httpx.Client) -> None:
    assert admin.post("/api/connections", json=new("doomed")).status_code == 201
    response = admin.delete("/api/connections/doomed")
    assert response.status_code == 204 and response.content == b""
    assert admin.get("/api/connections/doomed").status_code == 404


# -- a planted credential is found nowhere ----------------------------------------------------------------------


@pytest.fixture
def captured_log(tmp_path: Path) -> Iterator[Path]:
    with process_log(tmp_path / "server.log") as path:
        yield path


def test_a_planted_credential_appears_in_no_file_log_or_answer(
        tmp_path: Path, fake: FakeConnector, captured_log: Path, capfd: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROWTHOS_ENCRYPTION_KEY", raising=False)
    planted = "plant_" + secrets.token_hex(20)
    planted_refresh = "plant_" + secrets.token_hex(20)
    seen: list[str] = []
    data_dir = tmp_path / "data"
    with empty_server(data_dir) as live, httpx.Client(base_url=live.url, headers=live.auth("admin"),
                                                      timeout=30) as client:
        def call(method: str, path: str, **kwargs) -> httpx.Response:
            response = client.request(method, path, **kwargs)
            seen.append(response.text)
            assert response.status_code < 300, response.text
            return response

        call("POST", "/api/connections", json=new("leaky", planted))
        call("GET", "/api/connections")
        call("GET", "/api/connections/leaky")
        failed = call("POST", "/api/connections/leaky/test").json()  # the fake API quotes the token back
        assert failed["ok"] is False and failed["message"].endswith(f"'••••{planted[-4:]}'")
        call("PATCH", "/api/connections/leaky", json={"values": {"refresh_token": planted_refresh, "region": "eu"}})
        rotated = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "keys", "rotate-encryption"])
        assert rotated.exit_code == 0, rotated.output
        seen.append(rotated.output)
        call("GET", "/api/connections")
        call("POST", "/api/connections/leaky/test")
        call("PATCH", "/api/connections/leaky", json={"values": {"token": GOOD_TOKEN}})
        assert call("POST", "/api/connections/leaky/test").json()["ok"] is True
        # The connector did get the secrets (decrypted after the rotation by the running server).
        assert {c.secrets.get("refresh_token") for c in fake.calls if c.name == "leaky"} == {None, planted_refresh}
        assert live.app.state.growthos.workspace.store.connection_config("leaky").secrets["refresh_token"] == \
            planted_refresh

    log_text = captured_log.read_text(encoding="utf-8")
    assert "POST /api/connections 201" in log_text and "PATCH /api/connections/leaky 200" in log_text  # captured
    assert "INSERT INTO connections" in log_text  # SQL and its parameters were logged too
    out, err = capfd.readouterr()
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert any(p.name == "app.db" for p in files) and any(p.name == "encryption.key" for p in files)
    for value in (planted, planted_refresh):
        for needle in (value, value[:-4], value[6:]):
            encoded = needle.encode()
            for path in files:
                assert encoded not in path.read_bytes(), path
            assert needle not in log_text
            assert needle not in out and needle not in err
            for text in seen:
                assert needle not in text
