"""Connections on both backends: create/list/get/update/delete with typed errors naming the field, secrets
stored only as ciphertexts bound to their connection and field (every stored value checked), masked output,
connection_config decrypting, tests recorded with secrets scrubbed, and key rotation in one transaction."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update
from support.clock import FakeClock
from support.connectors import GOOD_TOKEN, KIND, FakeConnector, registered_fake

from growthos.core.errors import ConfigError, Conflict, InvalidInput, NotFound
from growthos.security.crypto import KEY_FILE_NAME, DecryptionError, EncryptionKey, EnvKey, KeyFile, key_id_of
from growthos.sources.connectors import ConnectionConfig
from growthos.store import AppStore, Connection
from growthos.store.connections import MASK, mask
from growthos.store.schema import connections, metadata

VALUES = {"account": "acme", "token": GOOD_TOKEN, "region": "eu"}


@pytest.fixture(autouse=True)
def fake_connector() -> Iterator[FakeConnector]:
    with registered_fake() as connector:
        yield connector


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def key_file(tmp_path: Path) -> KeyFile:
    return KeyFile(tmp_path / "keys" / KEY_FILE_NAME)


@pytest.fixture
def store(app_db_url: str, clock: FakeClock, key_file: KeyFile):
    s = AppStore.open(app_db_url, clock=clock, keys=key_file)
    yield s
    s.close()


def stored_text(store: AppStore) -> str:
    """Every value of every row of every app-database table, as text."""
    values = []
    with store.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                values.extend(json.dumps(v) if isinstance(v, dict) else str(v) for v in row)
    return "\n".join(values)


def stored_secrets(store: AppStore, name: str) -> dict[str, str]:
    with store.engine.connect() as conn:
        return conn.execute(select(connections.c.secrets).where(connections.c.name == name)).scalar_one()


# -- create, list, get -----------------------------------------------------------------------------------


def test_create_returns_the_masked_connection(store: AppStore, clock: FakeClock) -> None:
    created = store.create_connection("main-shop", KIND, VALUES)
    assert created == Connection(
        name="main-shop", kind=KIND, settings={"account": "acme", "region": "eu"},
        masked_secrets={"token": "••••3210"}, api_base_url=None, created_at=clock.now, updated_at=clock.now,
        last_test_at=None, last_test_ok=None, last_test_message=None,
    )
    assert created.to_dict() == {
        "name": "main-shop", "kind": KIND, "settings": {"account": "acme", "region": "eu"},
        "secrets": {"token": "••••3210"}, "api_base_url": None, "created_at": clock.now.isoformat(),
        "updated_at": clock.now.isoformat(), "last_test": None,
    }
    assert store.get_connection("main-shop") == created
    assert store.list_connections() == [created]


def test_secrets_are_stored_only_as_ciphertexts(store: AppStore, key_file: KeyFile) -> None:
    store.create_connection("main-shop", KIND, {**VALUES, "refresh_token": "rt_0123456789abcdef"})
    text = stored_text(store)
    for secret in (GOOD_TOKEN, "rt_0123456789abcdef", GOOD_TOKEN[4:], "0123456789abcdef"):
        assert secret not in text
    sealed = stored_secrets(store, "main-shop")
    assert sorted(sealed) == ["refresh_token", "token"]
    current = key_file.keyring().current
    assert {key_id_of(t) for t in sealed.values()} == {current.key_id}
    assert all(t.startswith(f"v1:{current.key_id}:") for t in sealed.values())


def test_connection_config_decrypts(store: AppStore) -> None:
    store.create_connection("main-shop", KIND, VALUES, api_base_url="http://127.0.0.1:9/")
    assert store.connection_config("main-shop") == ConnectionConfig(
        name="main-shop", kind=KIND, settings={"account": "acme", "region": "eu"}, secrets={"token": GOOD_TOKEN},
        api_base_url="http://127.0.0.1:9",
    )


def test_list_is_ordered_by_name(store: AppStore) -> None:
    for name in ("zeta", "alpha-2", "alpha"):
        store.create_connection(name, KIND, VALUES)
    assert [c.name for c in store.list_connections()] == ["alpha", "alpha-2", "zeta"]


def test_mask_shows_at_most_the_last_four_characters() -> None:
    assert mask("shpat_abcdefgh1234") == "••••1234"
    assert mask("abcdefghijkl") == "••••ijkl"
    for short in ("", "a", "abcd", "abcdefghijk"):
        assert mask(short) == MASK


def test_short_secrets_are_masked_entirely(store: AppStore) -> None:
    created = store.create_connection("main-shop", KIND, {**VALUES, "token": "short-tok"})
    assert created.masked_secrets == {"token": "••••"}


# -- validation --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "Main", "main_shop", "-main", "main shop", "a" * 65, "é", "main/shop", 7])
def test_bad_names_are_refused(store: AppStore, name: object) -> None:
    with pytest.raises(InvalidInput) as err:
        store.create_connection(name, KIND, VALUES)  # type: ignore[arg-type]
    assert err.value.field == "name"


def test_good_names(store: AppStore) -> None:
    for name in ("a", "0", "main-shop-2", "x" * 64, "trailing-"):
        store.create_connection(name, KIND, VALUES)
    assert len(store.list_connections()) == 5


def test_unknown_kind_names_the_field_and_the_known_kinds(store: AppStore) -> None:
    with pytest.raises(InvalidInput, match=f"kind must be a known connector \\(.*{KIND}.*\\); got 'nope'") as err:
        store.create_connection("x", "nope", VALUES)
    assert err.value.field == "kind"


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"token": GOOD_TOKEN}, "account", "Account (account) is required"),
    ({"account": "acme"}, "token", "API token (token) is required"),
    ({**VALUES, "token": ""}, "token", "is required"),
    ({**VALUES, "colour": "red"}, "colour", "'colour' is not a field of a testapi connection"),
    ({**VALUES, "token": 1234}, "token", "token must be a string"),
    ({**VALUES, "region": ["eu"]}, "region", "region must be a string, number or boolean"),
    ({**VALUES, "token": "x" * 8193}, "token", "at most 8192"),
])
def test_bad_values_name_the_field(store: AppStore, values: dict, field: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)) as err:
        store.create_connection("main-shop", KIND, values)
    assert err.value.field == field
    assert store.list_connections() == []


@pytest.mark.parametrize("url", ["ftp://x", "localhost:8080", "http://", "http://a b", 12])
def test_bad_api_base_url(store: AppStore, url: object) -> None:
    with pytest.raises(InvalidInput) as err:
        store.create_connection("main-shop", KIND, VALUES, api_base_url=url)  # type: ignore[arg-type]
    assert err.value.field == "api_base_url"


def test_duplicate_name_is_a_conflict(store: AppStore) -> None:
    store.create_connection("main-shop", KIND, VALUES)
    with pytest.raises(Conflict) as err:
        store.create_connection("main-shop", KIND, {**VALUES, "token": "other-token-123"})
    assert err.value.field == "name"
    assert store.connection_config("main-shop").secrets["token"] == GOOD_TOKEN


def test_missing_connections_are_not_found(store: AppStore) -> None:
    for call in (store.get_connection, store.connection_config, store.delete_connection, store.test_connection,
                 lambda n: store.update_connection(n, {"region": "us"}),
                 lambda n: store.record_test_result(n, True, "ok")):
        with pytest.raises(NotFound) as err:
            call("nope")
        assert err.value.field == "name"


# -- update, delete ------------------------------------------------------------------------------------------


def test_update_is_partial_and_omitting_a_secret_keeps_it(store: AppStore, clock: FakeClock) -> None:
    store.create_connection("main-shop", KIND, VALUES)
    before = stored_secrets(store, "main-shop")
    created_at = clock.now
    clock.advance(60)
    updated = store.update_connection("main-shop", {"region": "us"})
    assert updated.settings == {"account": "acme", "region": "us"}
    assert updated.masked_secrets == {"token": "••••3210"}
    assert (updated.created_at, updated.updated_at) == (created_at, clock.now)
    assert stored_secrets(store, "main-shop") == before  # not even re-encrypted
    assert store.connection_config("main-shop").secrets == {"token": GOOD_TOKEN}


def test_update_replaces_adds_and_removes(store: AppStore) -> None:
    store.create_connection("main-shop", KIND, VALUES)
    store.update_connection("main-shop", {"token": "tk_new_value_5678", "refresh_token": "rt_abcdefgh9999",
                                          "region": None}, api_base_url="https://proxy.example/shop")
    config = store.connection_config("main-shop")
    assert config.secrets == {"token": "tk_new_value_5678", "refresh_token": "rt_abcdefgh9999"}
    assert config.settings == {"account": "acme"} and config.api_base_url == "https://proxy.example/shop"
    updated = store.update_connection("main-shop", {"refresh_token": ""}, api_base_url=None)
    assert updated.masked_secrets == {"token": "••••5678"} and updated.api_base_url is None
    assert store.update_connection("main-shop").api_base_url is None


def test_update_refuses_removing_required_or_unknown_fields(store: AppStore) -> None:
    store.create_connection("main-shop", KIND, VALUES)
    for values, field in (({"token": None}, "token"), ({"account": ""}, "account"), ({"colour": "x"}, "colour"),
                          ({"colour": None}, "colour")):
        with pytest.raises(InvalidInput) as err:
            store.update_connection("main-shop", values)
        assert err.value.field == field
    assert store.connection_config("main-shop").secrets == {"token": GOOD_TOKEN}


def test_delete(store: AppStore) -> None:
    store.create_connection("main-shop", KIND, VALUES)
    store.create_connection("other", KIND, VALUES)
    store.delete_connection("main-shop")
    assert [c.name for c in store.list_connections()] == ["other"]
    with pytest.raises(NotFound):
        store.delete_connection("main-shop")
    store.create_connection("main-shop", KIND, VALUES)  # the name is free again


# -- ciphertexts are bound to their connection and field -------------------------------------------------------


def test_swapped_ciphertexts_do_not_decrypt(store: AppStore) -> None:
    store.create_connection("shop-a", KIND, {**VALUES, "refresh_token": "rt_aaaaaaaaaaaa"})
    store.create_connection("shop-b", KIND, {**VALUES, "token": "tk_bbbbbbbbbbbb"})
    a, b = stored_secrets(store, "shop-a"), stored_secrets(store, "shop-b")
    with store.engine.begin() as conn:
        conn.execute(update(connections).where(connections.c.name == "shop-a").values(secrets={"token": b["token"]}))
        conn.execute(update(connections).where(connections.c.name == "shop-b")
                     .values(secrets={"token": a["refresh_token"]}))
    for name in ("shop-a", "shop-b"):
        with pytest.raises(DecryptionError):
            store.connection_config(name)
        assert store.get_connection(name).masked_secrets == {"token": MASK}  # listing still works


# -- tests ---------------------------------------------------------------------------------------------------


def test_connection_test_success_is_recorded(store: AppStore, clock: FakeClock, fake_connector: FakeConnector
                                             ) -> None:
    store.create_connection("main-shop", KIND, VALUES, api_base_url="http://127.0.0.1:1234")
    clock.advance(5)
    outcome = store.test_connection("main-shop")
    assert outcome.to_dict() == {"name": "main-shop", "ok": True, "tested_at": clock.now.isoformat(),
                                 "message": "account acme at http://127.0.0.1:1234"}
    assert fake_connector.calls == [store.connection_config("main-shop")]
    assert store.get_connection("main-shop").to_dict()["last_test"] == {
        "at": clock.now.isoformat(), "ok": True, "message": "account acme at http://127.0.0.1:1234"}


def test_connection_test_failure_carries_the_api_error_without_the_secret(store: AppStore) -> None:
    store.create_connection("main-shop", KIND, {**VALUES, "token": "tk_wrong_token_4242"})
    outcome = store.test_connection("main-shop")
    assert not outcome.ok
    assert outcome.message == "401 Unauthorized: invalid API token '••••4242'"
    shown = store.get_connection("main-shop")
    assert (shown.last_test_ok, shown.last_test_message) == (False, outcome.message)
    assert "tk_wrong_token_4242" not in stored_text(store)


def test_a_crashing_connector_is_a_failed_test(store: AppStore, fake_connector: FakeConnector,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    store.create_connection("main-shop", KIND, VALUES)

    def boom(config: ConnectionConfig) -> str:
        raise OSError(f"connection refused while sending {config.secrets['token']}")

    monkeypatch.setattr(fake_connector, "test", boom)
    outcome = store.test_connection("main-shop")
    assert (outcome.ok, outcome.message) == (False, "OSError: connection refused while sending ••••3210")


def test_record_test_result_validates(store: AppStore) -> None:
    store.create_connection("main-shop", KIND, VALUES)
    with pytest.raises(InvalidInput) as err:
        store.record_test_result("main-shop", "yes", "ok")  # type: ignore[arg-type]
    assert err.value.field == "ok"
    store.record_test_result("main-shop", False, "x" * 5000)
    assert len(store.get_connection("main-shop").last_test_message or "") == 2000


# -- keys ------------------------------------------------------------------------------------------------------


def test_without_a_key_source_connections_are_a_config_error(app_db_url: str) -> None:
    with AppStore.open(app_db_url) as bare:
        with pytest.raises(ConfigError, match="no encryption key"):
            bare.list_connections()


def test_listing_without_secrets_needs_no_key_file(app_db_url: str, tmp_path: Path) -> None:
    source = KeyFile(tmp_path / "never" / KEY_FILE_NAME)
    with AppStore.open(app_db_url, keys=source) as s:
        assert s.list_connections() == []
        assert not source.path.exists()


def test_another_key_cannot_read_and_refuses_to_write(store: AppStore, app_db_url: str, tmp_path: Path) -> None:
    store.create_connection("main-shop", KIND, VALUES)
    other = KeyFile(tmp_path / "other" / KEY_FILE_NAME)
    with AppStore.open(app_db_url, keys=other) as stranger:
        assert stranger.get_connection("main-shop").masked_secrets == {"token": MASK}  # no key: masked only
        with pytest.raises(ConfigError, match="no encryption key"):
            stranger.connection_config("main-shop")
        other.keyring(create=True)
        with pytest.raises(DecryptionError, match="not available here"):
            stranger.connection_config("main-shop")
        with pytest.raises(ConfigError, match="was the key rotated") as err:
            stranger.create_connection("second", KIND, VALUES)
        assert err.value.field == "encryption_key"
        assert [c.name for c in stranger.list_connections()] == ["main-shop"]


def test_rotation_re_encrypts_everything_and_drops_the_old_key(store: AppStore, key_file: KeyFile) -> None:
    store.create_connection("shop-a", KIND, {**VALUES, "refresh_token": "rt_aaaaaaaaaaaa"})
    store.create_connection("shop-b", KIND, VALUES)
    store.create_connection("shop-c", KIND, {**VALUES, "token": "tk_cccccccccccc"})
    old = key_file.keyring().current
    before = {n: store.connection_config(n) for n in ("shop-a", "shop-b", "shop-c")}
    new = EncryptionKey.generate()
    rotation = store.rotate_encryption_key(new)
    assert rotation.to_dict() == {"new_key_id": new.key_id, "previous_key_ids": [old.key_id], "connections": 3,
                                  "secrets": 4}
    assert key_file.keyring().current == new and key_file.keyring().previous == ()
    assert sorted(p.name for p in key_file.path.parent.iterdir()) == [KEY_FILE_NAME]
    for name, config in before.items():
        assert {key_id_of(t) for t in stored_secrets(store, name).values()} == {new.key_id}
        assert store.connection_config(name) == config
    with pytest.raises(DecryptionError):  # the old key no longer opens anything
        from growthos.security.crypto import associated_data, decrypt
        decrypt(old, stored_secrets(store, "shop-a")["token"], associated_data("shop-a", "token"))


def test_rotation_of_an_empty_store_creates_the_key(store: AppStore, key_file: KeyFile) -> None:
    rotation = store.rotate_encryption_key()
    assert (rotation.connections, rotation.secrets, rotation.previous_key_ids) == (0, 0, ())
    assert key_file.keyring().current.key_id == rotation.new_key_id and rotation.new_key is None


def test_rotation_that_cannot_decrypt_changes_nothing(store: AppStore, key_file: KeyFile) -> None:
    store.create_connection("shop-a", KIND, VALUES)
    store.create_connection("shop-b", KIND, VALUES)
    with store.engine.begin() as conn:  # shop-b's token now carries shop-a's ciphertext
        conn.execute(update(connections).where(connections.c.name == "shop-b")
                     .values(secrets=stored_secrets(store, "shop-a")))
    old = key_file.keyring().current
    snapshot = stored_text(store)
    with pytest.raises(DecryptionError):
        store.rotate_encryption_key()
    assert stored_text(store) == snapshot and key_file.keyring().current == old
    assert sorted(p.name for p in key_file.path.parent.iterdir()) == [KEY_FILE_NAME]


def test_a_failed_commit_puts_the_old_key_back(store: AppStore, key_file: KeyFile,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    store.create_connection("shop-a", KIND, VALUES)
    old = key_file.keyring().current
    snapshot = stored_text(store)
    real_install = key_file.install

    def install_then_fail(new: EncryptionKey) -> None:
        real_install(new)
        assert key_file.keyring().previous == (old,)  # the old key is kept while the commit is pending
        raise RuntimeError("commit failed")

    monkeypatch.setattr(key_file, "install", install_then_fail)
    with pytest.raises(RuntimeError):
        store.rotate_encryption_key()
    assert key_file.keyring().current == old and stored_text(store) == snapshot
    assert store.connection_config("shop-a").secrets == {"token": GOOD_TOKEN}


def test_a_crash_between_install_and_commit_stays_readable_and_rotation_resumes(
        store: AppStore, key_file: KeyFile) -> None:
    store.create_connection("shop-a", KIND, VALUES)
    old = key_file.keyring().current
    key_file.install(EncryptionKey.generate())  # as if the process died before its commit
    assert store.connection_config("shop-a").secrets == {"token": GOOD_TOKEN}  # through the backup
    rotation = store.rotate_encryption_key()
    assert rotation.previous_key_ids == (old.key_id,)
    assert key_file.keyring().previous == ()
    assert store.connection_config("shop-a").secrets == {"token": GOOD_TOKEN}


def test_rotation_with_an_environment_key_returns_the_new_key(app_db_url: str, clock: FakeClock) -> None:
    env = EnvKey(EncryptionKey.generate().encode())
    with AppStore.open(app_db_url, clock=clock, keys=env) as s:
        s.create_connection("shop-a", KIND, VALUES)
        rotation = s.rotate_encryption_key()
        assert rotation.new_key is not None
        assert EncryptionKey.parse(rotation.new_key).key_id == rotation.new_key_id
        assert s.connection_config("shop-a").secrets == {"token": GOOD_TOKEN}
    restarted = EnvKey(rotation.new_key)
    with AppStore.open(app_db_url, keys=restarted) as s:
        assert s.connection_config("shop-a").secrets == {"token": GOOD_TOKEN}


def test_writes_during_a_rotation_end_up_under_the_new_key(store: AppStore, app_db_url: str, key_file: KeyFile,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A create racing a rotation waits for its lock, then reads the key, so it never writes the dropped key."""
    store.create_connection("shop-a", KIND, VALUES)
    installed, release = threading.Event(), threading.Event()
    real_install = key_file.install

    def slow_install(new: EncryptionKey) -> None:
        real_install(new)
        installed.set()
        release.wait(10)

    monkeypatch.setattr(key_file, "install", slow_install)
    rotating = threading.Thread(target=store.rotate_encryption_key)
    rotating.start()
    assert installed.wait(10)
    errors: list[BaseException] = []

    def create() -> None:
        with AppStore.open(app_db_url, keys=KeyFile(key_file.path)) as other:
            try:
                other.create_connection("shop-b", KIND, VALUES)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

    creating = threading.Thread(target=create)
    creating.start()
    creating.join(0.5)
    assert creating.is_alive()  # blocked on the rotation's lock
    release.set()
    rotating.join(10)
    creating.join(30)
    assert not errors
    current = key_file.keyring().current.key_id
    for name in ("shop-a", "shop-b"):
        assert {key_id_of(t) for t in stored_secrets(store, name).values()} == {current}
        assert store.connection_config(name).secrets == {"token": GOOD_TOKEN}


def test_timestamps_are_utc(store: AppStore) -> None:
    created = store.create_connection("main-shop", KIND, VALUES)
    assert created.created_at.tzinfo is UTC and isinstance(created.created_at, datetime)
    assert store.get_connection("main-shop").created_at.tzinfo is UTC


# -- migration 0003 --------------------------------------------------------------------------------------------


def _migrate_to(url: str, revision: str, *, down: bool = False) -> None:
    from alembic import command

    from growthos.store.engine import make_engine, write_transaction
    from growthos.store.migrate import alembic_config

    engine = make_engine(url)
    try:
        with write_transaction(engine) as conn:
            (command.downgrade if down else command.upgrade)(alembic_config(conn), revision)
    finally:
        engine.dispose()


def test_0003_adds_connections_and_keeps_everything_else(app_db_url: str, key_file: KeyFile) -> None:
    from sqlalchemy import inspect

    from growthos.store.engine import make_engine
    from growthos.store.migrate import current_revision, head_revision

    _migrate_to(app_db_url, "0002")
    with AppStore(make_engine(app_db_url)) as old:
        key, secret = old.create_api_key("before 0003", "admin")
        assert "connections" not in inspect(old.engine).get_table_names()
    with AppStore.open(app_db_url, keys=key_file) as store:
        assert current_revision(app_db_url) == head_revision()
        assert store.authenticate_key(secret).id == key.id
        store.create_connection("main-shop", KIND, VALUES)
    _migrate_to(app_db_url, "0002", down=True)
    engine = make_engine(app_db_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert "connections" not in tables and {"api_keys", "sessions", "job_runs"} <= tables
    with AppStore.open(app_db_url, keys=key_file) as store:  # and back up again
        assert store.list_connections() == [] and [k.id for k in store.list_api_keys()] == [key.id]
