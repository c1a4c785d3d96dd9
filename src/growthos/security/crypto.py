"""Connector credentials encrypted at rest: AES-256-GCM, a versioned ciphertext naming its key, and the key.

A ciphertext reads ``v1:<key id>:<base64 of nonce || ciphertext || tag>``: a random 12-byte nonce per value,
and associated data binding it to its connection and field (``associated_data``), so a ciphertext copied to
another connection or field fails to decrypt. The key id (16 hex characters derived from the key) tells which
key encrypted what, so a rotation can be checked and resumed.

The key is GROWTHOS_ENCRYPTION_KEY (32 bytes as base64 or hex) when set, else a key file generated on first
use (``<data_dir>/encryption.key``, mode 0600; a file readable by group or others is refused). While a
rotation is being committed the previous key is kept beside it as ``encryption.key.<key id>.old``; it is
read for decryption only and removed once every row is re-encrypted (growthos.store.connections).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from growthos.core.errors import ConfigError, GrowthOSError

if TYPE_CHECKING:
    from growthos.config import Settings

FORMAT_VERSION = "v1"
"""First part of every ciphertext; a new format gets a new version."""
KEY_BYTES = 32
"""AES-256."""
NONCE_BYTES = 12
"""GCM's standard nonce size; random per encryption."""
KEY_ENV = "GROWTHOS_ENCRYPTION_KEY"
"""Environment variable holding the key (Settings.encryption_key)."""
KEY_FILE_NAME = "encryption.key"
"""The generated key file in the data directory, when no key is set in the environment."""
_BACKUP_SUFFIX = ".old"
_PENDING_SUFFIX = ".new"


class DecryptionError(GrowthOSError):
    """A stored secret cannot be decrypted: altered, moved to another connection or field, or its key is gone."""

    status = 500
    title = "Cannot decrypt"


@dataclass(frozen=True)
class EncryptionKey:
    """A 256-bit AES key; its bytes never appear in repr."""

    material: bytes = field(repr=False)
    """The 32 key bytes."""

    def __post_init__(self) -> None:
        if not isinstance(self.material, bytes) or len(self.material) != KEY_BYTES:
            raise ValueError(f"an encryption key is {KEY_BYTES} bytes")

    @property
    def key_id(self) -> str:
        """16 hex characters derived from the key (a hash: it tells keys apart and reveals nothing of them)."""
        return hashlib.sha256(b"growthos-encryption-key-id\x00" + self.material).hexdigest()[:16]

    @classmethod
    def generate(cls) -> EncryptionKey:
        return cls(secrets.token_bytes(KEY_BYTES))

    @classmethod
    def parse(cls, text: str, source: str = KEY_ENV) -> EncryptionKey:
        """A key from its base64 (standard or URL-safe) or hex form; ConfigError naming ``source`` otherwise.

        The message never repeats the value.
        """
        value = text.strip()
        material: bytes | None = None
        if len(value) == 2 * KEY_BYTES and all(c in "0123456789abcdefABCDEF" for c in value):
            material = bytes.fromhex(value)
        else:
            with contextlib.suppress(binascii.Error, ValueError):
                padded = value + "=" * (-len(value) % 4)
                material = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        if material is None or len(material) != KEY_BYTES:
            raise ConfigError(
                f"{source} must be {KEY_BYTES} random bytes as base64 (44 characters) or hex (64 characters); "
                f"got {len(value)} characters that are neither. Make one with: openssl rand -base64 32",
                field="encryption_key",
            )
        return cls(material)

    def encode(self) -> str:
        """The key as standard base64 (what the key file and GROWTHOS_ENCRYPTION_KEY hold)."""
        return base64.b64encode(self.material).decode("ascii")


def associated_data(connection: str, fieldname: str) -> bytes:
    """What binds a ciphertext to one field of one connection (authenticated, not encrypted)."""
    return b"growthos-connection-secret\x00" + connection.encode() + b"\x00" + fieldname.encode()


def encrypt(key: EncryptionKey, plaintext: str, aad: bytes) -> str:
    """``v1:<key id>:<base64 nonce||ciphertext>`` of ``plaintext`` under ``key``, bound to ``aad``."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(key.material).encrypt(nonce, plaintext.encode("utf-8"), aad)
    return f"{FORMAT_VERSION}:{key.key_id}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def key_id_of(token: str) -> str:
    """The id of the key that encrypted ``token``; DecryptionError when it is not a ciphertext of ours."""
    parts = token.split(":") if isinstance(token, str) else []
    if len(parts) != 3 or parts[0] != FORMAT_VERSION or not parts[1]:
        raise DecryptionError(f"not a {FORMAT_VERSION} ciphertext")
    return parts[1]


def decrypt(key: EncryptionKey, token: str, aad: bytes) -> str:
    """The plaintext of ``token``; DecryptionError when it was altered, bound to other data, or is not ours."""
    if key_id_of(token) != key.key_id:
        raise DecryptionError(f"encrypted with key {key_id_of(token)}, not with key {key.key_id}")
    try:
        blob = base64.b64decode(token.split(":", 2)[2], validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionError("the ciphertext is not valid base64") from None
    if len(blob) < NONCE_BYTES + 16:
        raise DecryptionError("the ciphertext is truncated")
    try:
        return AESGCM(key.material).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad).decode("utf-8")
    except InvalidTag:
        raise DecryptionError("the ciphertext was altered or belongs to another connection or field") from None


@dataclass(frozen=True)
class Keyring:
    """The key that encrypts now and, during a rotation, older keys that still decrypt."""

    current: EncryptionKey
    """Encrypts every new value."""
    previous: tuple[EncryptionKey, ...] = ()
    """Decrypt only (kept until a rotation has re-encrypted every value)."""
    source: str = KEY_ENV
    """Where ``current`` came from, for messages."""

    def knows(self, key_id: str) -> bool:
        return any(k.key_id == key_id for k in (self.current, *self.previous))

    def encrypt(self, plaintext: str, aad: bytes) -> str:
        return encrypt(self.current, plaintext, aad)

    def decrypt(self, token: str, aad: bytes) -> str:
        key_id = key_id_of(token)
        for key in (self.current, *self.previous):
            if key.key_id == key_id:
                return decrypt(key, token, aad)
        raise DecryptionError(
            f"this secret was encrypted with key {key_id}, which is not available here (the current key "
            f"{self.current.key_id} comes from {self.source}); was the key rotated or replaced?"
        )


class KeySource(Protocol):
    """Where the store gets its keyring; read at each use so a rotation by another process is seen."""

    def keyring(self, *, create: bool = False) -> Keyring:
        """The keys now; ``create`` generates a key file when there is none (never needed to decrypt)."""
        ...

    def install(self, new: EncryptionKey) -> None:
        """Make ``new`` the current key, keeping the old one as a decrypt-only backup (before the commit)."""
        ...

    def restore(self, old: EncryptionKey) -> None:
        """Undo ``install``: the commit failed, ``old`` is current again."""
        ...

    def discard_previous(self) -> None:
        """Forget the backups: every value is now encrypted with the current key."""
        ...

    @property
    def rotation_prints_key(self) -> bool:
        """True when the new key must be shown to the operator (it lives in the environment, not in a file)."""
        ...


class EnvKey:
    """The key given in GROWTHOS_ENCRYPTION_KEY (parsed when first needed, so a bad value fails only there)."""

    rotation_prints_key = True

    def __init__(self, value: str) -> None:
        self._value = value
        self._installed: EncryptionKey | None = None

    def __repr__(self) -> str:
        return "EnvKey(<hidden>)"

    def keyring(self, *, create: bool = False) -> Keyring:
        if self._installed is not None:
            return Keyring(self._installed, source=f"a rotation in this process (set {KEY_ENV} to it)")
        return Keyring(EncryptionKey.parse(self._value, KEY_ENV), source=KEY_ENV)

    def install(self, new: EncryptionKey) -> None:
        self._installed = new

    def restore(self, old: EncryptionKey) -> None:
        self._installed = None

    def discard_previous(self) -> None:
        return None


class KeyFile:
    """A generated key in a file readable by its owner only; backups of rotated-away keys sit beside it."""

    rotation_prints_key = False

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"KeyFile({str(self.path)!r})"

    def keyring(self, *, create: bool = False) -> Keyring:
        if not self.path.exists():
            if not create:
                raise ConfigError(
                    f"no encryption key: neither {KEY_ENV} nor the key file {self.path} exists", field="encryption_key"
                )
            self._create()
        return Keyring(_read_key_file(self.path), tuple(_read_key_file(p) for p in self._backups()),
                       source=str(self.path))

    def install(self, new: EncryptionKey) -> None:
        old = _read_key_file(self.path)
        pending = self.path.with_name(self.path.name + _PENDING_SUFFIX)
        _write_private(pending, new)
        backup = self._backup_path(old)
        if not backup.exists():
            _write_private(backup, old)
        os.replace(pending, self.path)
        _fsync_dir(self.path.parent)

    def restore(self, old: EncryptionKey) -> None:
        backup = self._backup_path(old)
        if backup.exists():
            os.replace(backup, self.path)
            _fsync_dir(self.path.parent)

    def discard_previous(self) -> None:
        for backup in self._backups():
            backup.unlink(missing_ok=True)
        _fsync_dir(self.path.parent)

    def _backup_path(self, key: EncryptionKey) -> Path:
        return self.path.with_name(f"{self.path.name}.{key.key_id}{_BACKUP_SUFFIX}")

    def _backups(self) -> list[Path]:
        return sorted(self.path.parent.glob(f"{self.path.name}.*{_BACKUP_SUFFIX}"))

    def _create(self) -> None:
        """Write a new key beside the target and link it into place: of two processes racing, one key wins."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        staging = self.path.with_name(f"{self.path.name}.{secrets.token_hex(8)}.tmp")
        _write_private(staging, EncryptionKey.generate())
        try:
            os.link(staging, self.path)
        except FileExistsError:
            pass
        finally:
            staging.unlink(missing_ok=True)
        _fsync_dir(self.path.parent)


def key_source(settings: Settings) -> KeySource:
    """GROWTHOS_ENCRYPTION_KEY when set, else the key file (``encryption_key_file`` or the data directory's)."""
    if settings.encryption_key is not None and settings.encryption_key.get_secret_value().strip():
        return EnvKey(settings.encryption_key.get_secret_value())
    return KeyFile(settings.encryption_key_file or settings.data_dir / KEY_FILE_NAME)


def _read_key_file(path: Path) -> EncryptionKey:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ConfigError(f"the encryption key file {path} is missing", field="encryption_key") from None
    if os.name == "posix" and st.st_mode & 0o077:
        raise ConfigError(
            f"the encryption key file {path} is readable by group or others (mode {st.st_mode & 0o777:04o}); "
            f"refusing to use it. Run: chmod 600 {path}",
            field="encryption_key",
        )
    return EncryptionKey.parse(path.read_text(encoding="ascii", errors="replace"), f"the key file {path}")


def _write_private(path: Path, key: EncryptionKey) -> None:
    """Create ``path`` (mode 0600 from the start, not chmod-ed after) holding ``key``, flushed to disk."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (key.encode() + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":  # pragma: no cover
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
