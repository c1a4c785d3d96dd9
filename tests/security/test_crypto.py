"""growthos.security.crypto: AES-256-GCM round trip checked against an independent decryption, tampering and
swapped associated data refused, the key from GROWTHOS_ENCRYPTION_KEY (base64 or hex) or a 0600 key file,
clear messages for a malformed key and a readable key file, and key-file rotation with its backup."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from growthos.config import load_settings
from growthos.core.errors import ConfigError
from growthos.security.crypto import (
    KEY_FILE_NAME,
    DecryptionError,
    EncryptionKey,
    EnvKey,
    KeyFile,
    Keyring,
    associated_data,
    decrypt,
    encrypt,
    key_id_of,
    key_source,
)

KEY = EncryptionKey(bytes(range(32)))
AAD = associated_data("main-shop", "access_token")


def test_round_trip_and_format() -> None:
    token = encrypt(KEY, "shpat_0123456789abcdef", AAD)
    version, key_id, payload = token.split(":")
    assert (version, key_id) == ("v1", KEY.key_id) and len(key_id) == 16
    blob = base64.b64decode(payload)
    assert len(blob) == 12 + len("shpat_0123456789abcdef") + 16  # nonce, ciphertext, GCM tag
    # Decrypted independently of our code: plain AES-GCM with the nonce in front.
    assert AESGCM(KEY.material).decrypt(blob[:12], blob[12:], AAD) == b"shpat_0123456789abcdef"
    assert decrypt(KEY, token, AAD) == "shpat_0123456789abcdef"
    assert "shpat" not in token and key_id_of(token) == KEY.key_id


def test_nonces_are_random() -> None:
    tokens = {encrypt(KEY, "same", AAD) for _ in range(50)}
    assert len(tokens) == 50
    assert len({base64.b64decode(t.split(":")[2])[:12] for t in tokens}) == 50


def test_unicode_and_empty_values_round_trip() -> None:
    for value in ("", "é€😀", "x" * 5000):
        assert decrypt(KEY, encrypt(KEY, value, AAD), AAD) == value


@pytest.mark.parametrize("position", [0, 5, 12, 20, -1])
def test_a_flipped_bit_anywhere_is_refused(position: int) -> None:
    token = encrypt(KEY, "shpat_secret_value", AAD)
    blob = bytearray(base64.b64decode(token.split(":")[2]))
    blob[position] ^= 0x01
    tampered = f"v1:{KEY.key_id}:{base64.b64encode(bytes(blob)).decode()}"
    with pytest.raises(DecryptionError, match="altered"):
        decrypt(KEY, tampered, AAD)


def test_truncated_or_malformed_ciphertexts_are_refused() -> None:
    token = encrypt(KEY, "shpat_secret_value", AAD)
    for bad in (token[:-8], "v1:" + KEY.key_id + ":AAAA", "v2" + token[2:], "plaintext", "v1:" + KEY.key_id + ":!!"):
        with pytest.raises(DecryptionError):
            decrypt(KEY, bad, AAD)


def test_ciphertext_moved_to_another_connection_or_field_is_refused() -> None:
    token = encrypt(KEY, "shpat_secret_value", AAD)
    for other in (associated_data("other-shop", "access_token"), associated_data("main-shop", "refresh_token"),
                  associated_data("main-sho", "paccess_token")):
        with pytest.raises(DecryptionError):
            decrypt(KEY, token, other)


def test_another_key_cannot_decrypt_and_the_keyring_says_which_key_is_missing() -> None:
    other = EncryptionKey.generate()
    token = encrypt(KEY, "secret", AAD)
    with pytest.raises(DecryptionError, match=KEY.key_id):
        decrypt(other, token, AAD)
    with pytest.raises(DecryptionError, match=f"key {KEY.key_id}, which is not available"):
        Keyring(other).decrypt(token, AAD)
    assert Keyring(other, (KEY,)).decrypt(token, AAD) == "secret"
    assert key_id_of(Keyring(other, (KEY,)).encrypt("x", AAD)) == other.key_id


def test_key_repr_hides_the_material() -> None:
    assert KEY.material.hex() not in repr(KEY) and KEY.encode() not in repr(KEY)
    assert "<hidden>" in repr(EnvKey(KEY.encode()))


# -- where the key comes from --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROWTHOS_ENCRYPTION_KEY", raising=False)


def test_env_key_as_base64_or_hex(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for text in (KEY.encode(), KEY.material.hex(), base64.urlsafe_b64encode(KEY.material).decode().rstrip("="),
                 f"  {KEY.encode()}\n"):
        monkeypatch.setenv("GROWTHOS_ENCRYPTION_KEY", text)
        source = key_source(load_settings(data_dir=tmp_path))
        assert isinstance(source, EnvKey)
        assert source.keyring(create=True).current == KEY
    assert not (tmp_path / KEY_FILE_NAME).exists()


@pytest.mark.parametrize(("text", "got"), [
    ("c2hvcnQ=", "got 8 characters"),
    ("not a key at all!", "got 17 characters"),
    ("ab" * 31, "got 62 characters"),
    (base64.b64encode(bytes(33)).decode(), "got 44 characters"),
    (base64.b64encode(bytes(31)).decode(), "got 44 characters"),
])
def test_malformed_env_key_names_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str,
                                              got: str) -> None:
    monkeypatch.setenv("GROWTHOS_ENCRYPTION_KEY", text)
    source = key_source(load_settings(data_dir=tmp_path))
    with pytest.raises(ConfigError) as err:
        source.keyring(create=True)
    message = err.value.message
    assert message.startswith("GROWTHOS_ENCRYPTION_KEY must be 32 random bytes as base64") and got in message
    assert text not in message and "openssl rand -base64 32" in message


def test_key_file_is_generated_with_mode_0600(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        source = key_source(load_settings(data_dir=tmp_path / "data"))
        assert isinstance(source, KeyFile) and source.path == tmp_path / "data" / KEY_FILE_NAME
        with pytest.raises(ConfigError, match="no encryption key"):
            source.keyring()  # reading never creates a key
        key = source.keyring(create=True).current
    finally:
        os.umask(previous)
    mode = stat.S_IMODE(source.path.stat().st_mode)
    assert mode == 0o600
    assert EncryptionKey.parse(source.path.read_text()) == key
    assert source.keyring().current == key == KeyFile(source.path).keyring(create=True).current  # stable
    assert [p.name for p in source.path.parent.iterdir()] == [KEY_FILE_NAME]  # no staging file left


def test_key_file_setting_overrides_the_location(tmp_path: Path) -> None:
    source = key_source(load_settings(data_dir=tmp_path, encryption_key_file=tmp_path / "keys" / "k"))
    assert isinstance(source, KeyFile)
    source.keyring(create=True)
    assert (tmp_path / "keys" / "k").exists() and not (tmp_path / KEY_FILE_NAME).exists()


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_a_key_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / KEY_FILE_NAME
    KeyFile(path).keyring(create=True)
    path.chmod(mode)
    with pytest.raises(ConfigError) as err:
        KeyFile(path).keyring()
    assert "readable by group or others" in err.value.message and f"{mode:04o}" in err.value.message
    assert f"chmod 600 {path}" in err.value.message


def test_a_corrupt_key_file_is_refused_without_showing_it(tmp_path: Path) -> None:
    path = tmp_path / KEY_FILE_NAME
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"hunter2hunter2")
    os.close(fd)
    with pytest.raises(ConfigError, match=f"the key file {path} must be 32 random bytes") as err:
        KeyFile(path).keyring()
    assert "hunter2" not in err.value.message


def test_install_keeps_a_backup_until_discarded_and_restore_puts_the_old_key_back(tmp_path: Path) -> None:
    source = KeyFile(tmp_path / KEY_FILE_NAME)
    old = source.keyring(create=True).current
    new = EncryptionKey.generate()
    source.install(new)
    ring = source.keyring()
    assert ring.current == new and ring.previous == (old,)
    backup = tmp_path / f"{KEY_FILE_NAME}.{old.key_id}.old"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600 == stat.S_IMODE(source.path.stat().st_mode)
    source.restore(old)
    assert source.keyring() == Keyring(old, (), str(source.path))
    source.install(new)
    source.discard_previous()
    assert source.keyring() == Keyring(new, (), str(source.path))
    assert sorted(p.name for p in tmp_path.iterdir()) == [KEY_FILE_NAME]
