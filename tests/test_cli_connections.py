"""`growthos connections ...` and `growthos keys rotate-encryption` on a fresh data directory: --set suffices
without a terminal, hidden prompts at one, secrets never printed (masked), --json output, tests recorded with
their exit code, typed errors as one line naming the field, and rotation re-encrypting under a new key file."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.connectors import GOOD_TOKEN, KIND, FakeConnector, registered_fake
from typer.testing import CliRunner

from growthos.cli import app as cli
from growthos.config import load_settings
from growthos.security.crypto import KEY_FILE_NAME, EncryptionKey, key_id_of
from growthos.store import AppStore

runner = CliRunner()


@pytest.fixture(autouse=True)
def fake_connector() -> Iterator[FakeConnector]:
    with registered_fake() as connector:
        yield connector


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROWTHOS_ENCRYPTION_KEY", raising=False)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def run(data_dir: Path, *args: str, input: str | None = None):
    return runner.invoke(cli, ["--data-dir", str(data_dir), *args], input=input)


def add(data_dir: Path, name: str = "main-shop", token: str = GOOD_TOKEN, *extra: str):
    return run(data_dir, "connections", "add", KIND, name, "--set", "account=acme", "--set", f"token={token}", *extra)


def test_add_with_set_and_list(data_dir: Path) -> None:
    result = add(data_dir, "main-shop", GOOD_TOKEN, "--set", "region=eu", "--api-base-url", "http://127.0.0.1:9")
    assert result.exit_code == 0, result.output
    assert GOOD_TOKEN not in result.output and "token: ••••3210" in result.stdout
    assert "Added testapi connection main-shop" in result.stderr
    assert (data_dir / KEY_FILE_NAME).exists()
    assert stat.S_IMODE((data_dir / KEY_FILE_NAME).stat().st_mode) == 0o600

    listed = run(data_dir, "connections", "list", "--json")
    assert listed.exit_code == 0, listed.output
    [shown] = json.loads(listed.stdout)
    assert {k: shown[k] for k in ("name", "kind", "settings", "secrets", "api_base_url", "last_test")} == {
        "name": "main-shop", "kind": KIND, "settings": {"account": "acme", "region": "eu"},
        "secrets": {"token": "••••3210"}, "api_base_url": "http://127.0.0.1:9", "last_test": None}
    table = run(data_dir, "connections", "list")
    assert table.exit_code == 0 and "main-shop" in table.stdout and "never" in table.stdout
    assert GOOD_TOKEN not in table.output


def test_add_json(data_dir: Path) -> None:
    result = add(data_dir, "main-shop", GOOD_TOKEN, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["secrets"] == {"token": "••••3210"}


def test_missing_secret_without_a_terminal_is_an_error_naming_the_field(data_dir: Path) -> None:
    result = run(data_dir, "connections", "add", KIND, "main-shop", "--set", "account=acme")
    assert result.exit_code == 2
    assert "error (token): API token (token) is required for a testapi connection" in result.stderr


def test_missing_fields_are_prompted_at_a_terminal_with_the_secret_hidden(data_dir: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("growthos.cli_connections._stdin_is_tty", lambda: True)
    result = run(data_dir, "connections", "add", KIND, "main-shop", input=f"acme\n{GOOD_TOKEN}\n")
    assert result.exit_code == 0, result.output
    assert "Account (acme):" in result.stderr and "API token:" in result.stderr
    assert GOOD_TOKEN not in result.output  # typed but not echoed
    with AppStore.from_settings(load_settings(data_dir=data_dir)) as store:
        assert store.connection_config("main-shop").secrets == {"token": GOOD_TOKEN}


@pytest.mark.parametrize(("args", "message"), [
    (["connections", "add", KIND, "Main_Shop", "--set", "account=a", "--set", "token=t"], "error (name): name must"),
    (["connections", "add", "nope", "x", "--set", "account=a"], "error (kind): kind must be a known connector"),
    (["connections", "add", KIND, "x", "--set", "account"], "error (--set): --set takes FIELD=VALUE"),
    (["connections", "add", KIND, "x", "--set", "account=a", "--set", "token=t", "--set", "colour=red"],
     "error (colour): 'colour' is not a field of a testapi connection"),
    (["connections", "test", "nope"], "error (name): no connection named 'nope'"),
    (["connections", "remove", "nope"], "error (name): no connection named 'nope'"),
])
def test_errors_are_one_line_naming_the_field(data_dir: Path, args: list[str], message: str) -> None:
    result = run(data_dir, *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_duplicate_is_a_conflict(data_dir: Path) -> None:
    assert add(data_dir).exit_code == 0
    result = add(data_dir, "main-shop", "tk_other_token_0000")
    assert result.exit_code == 2 and "error (name): a connection named 'main-shop' already exists" in result.stderr


def test_test_success_and_failure_are_printed_and_recorded(data_dir: Path, fake_connector: FakeConnector) -> None:
    assert add(data_dir, "good").exit_code == 0
    assert add(data_dir, "bad", "tk_wrong_token_4242").exit_code == 0
    ok = run(data_dir, "connections", "test", "good")
    assert ok.exit_code == 0, ok.output
    assert "ok good: account acme at https://api.test.example" in ok.stderr
    failed = run(data_dir, "connections", "test", "bad")
    assert failed.exit_code == 1
    assert "failed bad: 401 Unauthorized: invalid API token '••••4242'" in failed.stderr
    assert "tk_wrong_token_4242" not in failed.output
    as_json = run(data_dir, "connections", "test", "good", "--json")
    assert as_json.exit_code == 0 and json.loads(as_json.stdout)["ok"] is True
    tests = {c["name"]: c["last_test"] for c in json.loads(run(data_dir, "connections", "list", "--json").stdout)}
    assert (tests["good"]["ok"], tests["bad"]["ok"]) == (True, False)
    assert tests["bad"]["message"] == "401 Unauthorized: invalid API token '••••4242'"
    assert [c.secrets["token"] for c in fake_connector.calls] == [GOOD_TOKEN, "tk_wrong_token_4242", GOOD_TOKEN]


def test_update_keeps_omitted_secrets(data_dir: Path) -> None:
    assert add(data_dir, "main-shop", "tk_wrong_token_4242", "--set", "region=eu").exit_code == 0
    result = run(data_dir, "connections", "update", "main-shop", "--set", "token=" + GOOD_TOKEN, "--set", "region=")
    assert result.exit_code == 0, result.output
    assert "token: ••••3210" in result.stdout and "region" not in result.stdout
    renamed = run(data_dir, "connections", "update", "main-shop", "--set", "account=globex", "--json")
    assert json.loads(renamed.stdout)["settings"] == {"account": "globex"}
    assert run(data_dir, "connections", "test", "main-shop").exit_code == 0  # the token was kept


def test_remove(data_dir: Path) -> None:
    assert add(data_dir).exit_code == 0
    result = run(data_dir, "connections", "remove", "main-shop")
    assert result.exit_code == 0 and "Removed connection main-shop." in result.stderr
    assert json.loads(run(data_dir, "connections", "list", "--json").stdout) == []


def test_kinds(data_dir: Path) -> None:
    result = run(data_dir, "connections", "kinds", "--json")
    assert result.exit_code == 0
    kinds = {k["kind"]: k for k in json.loads(result.stdout)}
    assert [f["name"] for f in kinds[KIND]["fields"] if f["secret"]] == ["token", "refresh_token"]
    text = run(data_dir, "connections", "kinds")
    assert "token [secret]: API token" in text.stdout and "region [optional]: Region" in text.stdout


def test_rotate_encryption_with_the_key_file(data_dir: Path) -> None:
    assert add(data_dir, "one").exit_code == 0
    assert add(data_dir, "two", "tk_second_token_77").exit_code == 0
    old = EncryptionKey.parse((data_dir / KEY_FILE_NAME).read_text())
    result = run(data_dir, "keys", "rotate-encryption", "--json")
    assert result.exit_code == 0, result.output
    rotation = json.loads(result.stdout)
    new = EncryptionKey.parse((data_dir / KEY_FILE_NAME).read_text())
    assert rotation == {"new_key_id": new.key_id, "previous_key_ids": [old.key_id], "connections": 2, "secrets": 2}
    assert sorted(p.name for p in data_dir.iterdir() if p.name.startswith(KEY_FILE_NAME)) == [KEY_FILE_NAME]
    assert stat.S_IMODE((data_dir / KEY_FILE_NAME).stat().st_mode) == 0o600
    with AppStore.from_settings(load_settings(data_dir=data_dir)) as store:
        assert store.connection_config("two").secrets == {"token": "tk_second_token_77"}
    assert run(data_dir, "connections", "test", "one").exit_code == 0
    text = run(data_dir, "keys", "rotate-encryption")
    assert text.exit_code == 0 and "Re-encrypted 2 secrets of 2 connections under key" in text.stderr
    assert text.stdout == ""  # nothing to set: the key lives in the file


def test_rotate_encryption_with_the_environment_key_prints_the_new_key(data_dir: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROWTHOS_ENCRYPTION_KEY", EncryptionKey.generate().encode())
    assert add(data_dir).exit_code == 0
    assert not (data_dir / KEY_FILE_NAME).exists()
    result = run(data_dir, "keys", "rotate-encryption")
    assert result.exit_code == 0, result.output
    assert "set it to this new key" in result.stderr
    new_key = result.stdout.strip()
    assert run(data_dir, "connections", "test", "main-shop").exit_code == 2  # the old key no longer decrypts
    monkeypatch.setenv("GROWTHOS_ENCRYPTION_KEY", new_key)
    assert run(data_dir, "connections", "test", "main-shop").exit_code == 0
    with AppStore.from_settings(load_settings(data_dir=data_dir)) as store:
        token = store.list_connections()[0]
        assert token.masked_secrets == {"token": "••••3210"}
        assert key_id_of(_stored_token(store)) == EncryptionKey.parse(new_key).key_id


def test_malformed_environment_key_is_one_clear_line(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROWTHOS_ENCRYPTION_KEY", "too-short")
    result = add(data_dir)
    assert result.exit_code == 2
    assert "error (encryption_key): GROWTHOS_ENCRYPTION_KEY must be 32 random bytes" in result.stderr
    assert "too-short" not in result.stderr


def _stored_token(store: AppStore) -> str:
    from sqlalchemy import select

    from growthos.store.schema import connections

    with store.engine.connect() as conn:
        return conn.execute(select(connections.c.secrets)).scalar_one()["token"]
