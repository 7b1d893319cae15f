"""Signing a store's records with a key that never lives in the store.

A `Signer` holds the caller's key and signs (writers) or checks (readers) the canonical JSON of a
record: its keys sorted, no spaces, UTF-8, with the ``signature`` field left out. Two kinds:

- ``hmac-sha256``: one secret shared by a team; whoever can check can also sign.
- ``ed25519``: a key pair; the private key signs, the public key only checks, so readers that
  should not write get the public key alone. Needs the ``cryptography`` package
  (``pip install 'satchel[signing]'``).

Each signature says its algorithm and a key id (the first 16 hex digits of the sha256 of the
HMAC key or of the raw Ed25519 public key), so a reader can tell "signed with another key" from
"tampered with". Keys come from the caller's side only (`signer_from_env`, or a `Signer` the
caller passes to ``Store(url, signing=...)``), never from the store::

    SATCHEL_SIGNING_KEY=<hex or base64>        an HMAC key
    SATCHEL_SIGNING_KEY_FILE=<path>            an Ed25519 private key (PEM), or an HMAC key file
    SATCHEL_VERIFY_KEY_FILE=<path>             an Ed25519 public key (PEM): check, never sign
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from typing import Any, Literal

from satchel.errors import SatchelError, SignatureError

__all__ = [
    "KEY_ENV",
    "KEY_FILE_ENV",
    "SIGNATURE_FIELD",
    "VERIFY_KEY_FILE_ENV",
    "SignatureStatus",
    "Signer",
    "canonical_json",
    "signer_from_env",
]

KEY_ENV = "SATCHEL_SIGNING_KEY"
KEY_FILE_ENV = "SATCHEL_SIGNING_KEY_FILE"
VERIFY_KEY_FILE_ENV = "SATCHEL_VERIFY_KEY_FILE"
SIGNATURE_FIELD = "signature"
HMAC = "hmac-sha256"
ED25519 = "ed25519"
_MIN_HMAC_KEY = 16

#: What checking a signature found: ``ok``, ``unsigned``, ``bad`` (made with this key's id but
#: not matching the content, or malformed) or ``other-key`` (made with a different key).
SignatureStatus = Literal["ok", "unsigned", "bad", "other-key"]


def canonical_json(data: Any) -> bytes:
    """The bytes a signature covers: JSON with sorted keys and no spaces, UTF-8."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8", "surrogatepass")


def _key_id(material: bytes) -> str:
    return hashlib.sha256(material).hexdigest()[:16]


def _crypto() -> Any:
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise SatchelError(
            "Ed25519 signing keys need the cryptography package: pip install 'satchel[signing]'"
        ) from None
    return ed25519, serialization


class Signer:
    """The caller's signing key: signs what a store writes, checks what it reads.

    Make one with `Signer.hmac`, `Signer.ed25519_private`, `Signer.ed25519_public` (or the
    ``*_pem`` / `from_file` forms), or `signer_from_env`.
    """

    def __init__(self, algorithm: str, key_id: str, *, secret: bytes | None = None,
                 private: Any = None, public: Any = None) -> None:
        self.algorithm = algorithm
        self.key_id = key_id
        self._secret = secret
        self._private = private
        self._public = public

    def __repr__(self) -> str:  # never the key itself
        mode = "sign+verify" if self.can_sign else "verify only"
        return f"Signer({self.algorithm}, key id {self.key_id}, {mode})"

    # -- making one --------------------------------------------------------------------------

    @classmethod
    def hmac(cls, key: bytes) -> Signer:
        """An HMAC-SHA256 signer (a team's shared secret, at least 16 bytes)."""
        if not isinstance(key, bytes) or len(key) < _MIN_HMAC_KEY:
            raise SatchelError(
                f"an HMAC signing key must be at least {_MIN_HMAC_KEY} bytes (such as 32 random "
                "bytes: python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        return cls(HMAC, _key_id(key), secret=key)

    @classmethod
    def hmac_text(cls, text: str, where: str = "the signing key") -> Signer:
        """An HMAC signer from a key written as hex or base64."""
        text = text.strip()
        key: bytes | None = None
        try:
            key = bytes.fromhex(text)
        except ValueError:
            try:
                key = base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                key = None
        if not key:
            raise SatchelError(f"{where} is neither hex nor base64; write the key as hex digits")
        return cls.hmac(key)

    @classmethod
    def ed25519_private(cls, private_key: Any) -> Signer:
        """An Ed25519 signer from a ``cryptography`` Ed25519PrivateKey."""
        ed25519, _serialization = _crypto()
        if not isinstance(private_key, ed25519.Ed25519PrivateKey):
            raise SatchelError(f"expected an Ed25519 private key, got {type(private_key).__name__}")
        public = private_key.public_key()
        return cls(ED25519, _key_id(_raw_public(public)), private=private_key, public=public)

    @classmethod
    def ed25519_public(cls, public_key: Any) -> Signer:
        """A verify-only Ed25519 signer from a ``cryptography`` Ed25519PublicKey."""
        ed25519, _serialization = _crypto()
        if not isinstance(public_key, ed25519.Ed25519PublicKey):
            raise SatchelError(f"expected an Ed25519 public key, got {type(public_key).__name__}")
        return cls(ED25519, _key_id(_raw_public(public_key)), public=public_key)

    @classmethod
    def from_pem(cls, data: bytes, where: str = "the key") -> Signer:
        """A signer from an Ed25519 private key or public key in PEM form."""
        ed25519, serialization = _crypto()
        try:
            if b"PRIVATE KEY" in data:
                key = serialization.load_pem_private_key(data, password=None)
            else:
                key = serialization.load_pem_public_key(data)
        except (ValueError, TypeError) as exc:
            raise SatchelError(f"{where} is not a readable PEM key: {exc}") from None
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return cls.ed25519_private(key)
        if isinstance(key, ed25519.Ed25519PublicKey):
            return cls.ed25519_public(key)
        raise SatchelError(f"{where} is a {type(key).__name__}; satchel signs with Ed25519 keys")

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Signer:
        """A signer from a key file: a PEM Ed25519 key, else an HMAC key as hex or base64 text."""
        where = f"the key file {os.fspath(path)}"
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise SatchelError(f"cannot read {where}: {exc.strerror}") from None
        if b"-----BEGIN" in data:
            return cls.from_pem(data, where)
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            raise SatchelError(f"{where} is neither a PEM key nor a hex or base64 HMAC key") from None
        return cls.hmac_text(text, where)

    # -- using one ---------------------------------------------------------------------------

    @property
    def can_sign(self) -> bool:
        """False for a verify-only signer (an Ed25519 public key)."""
        return self._secret is not None or self._private is not None

    def require_signing(self, what: str) -> None:
        """SignatureError unless this signer can sign (said before anything is written)."""
        if not self.can_sign:
            raise SignatureError(
                f"cannot write {what}: the configured key ({self.algorithm}, key id {self.key_id}) "
                f"is a public key, which checks signatures but cannot make them; a writer needs the "
                f"private key ({KEY_FILE_ENV})"
            )

    def sign(self, payload: bytes) -> dict[str, str]:
        """The signature of *payload*: ``{"alg", "key_id", "value"}`` (value in hex)."""
        if self._secret is not None:
            value = hmac.new(self._secret, payload, hashlib.sha256).hexdigest()
        elif self._private is not None:
            value = self._private.sign(payload).hex()
        else:
            self.require_signing("a signed record")
            raise AssertionError("unreachable")
        return {"alg": self.algorithm, "key_id": self.key_id, "value": value}

    def check(self, payload: bytes, signature: object) -> SignatureStatus:
        """What *signature* (as read from the store) says about *payload*."""
        if signature is None:
            return "unsigned"
        if not isinstance(signature, Mapping):
            return "bad"
        alg, key_id, value = signature.get("alg"), signature.get("key_id"), signature.get("value")
        if not (isinstance(alg, str) and isinstance(key_id, str) and isinstance(value, str)):
            return "bad"
        if alg != self.algorithm or key_id != self.key_id:
            return "other-key"
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            return "bad"
        if self._secret is not None:
            expected = hmac.new(self._secret, payload, hashlib.sha256).digest()
            return "ok" if hmac.compare_digest(expected, raw) else "bad"
        from cryptography.exceptions import InvalidSignature

        try:
            self._public.verify(raw, payload)
        except (InvalidSignature, ValueError):
            return "bad"
        return "ok"

    def sign_data(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """*data* with a ``signature`` field over all its other fields."""
        body = {name: value for name, value in data.items() if name != SIGNATURE_FIELD}
        return {**body, SIGNATURE_FIELD: self.sign(canonical_json(body))}

    def check_data(self, data: Mapping[str, Any]) -> SignatureStatus:
        """What the ``signature`` field of *data* says about its other fields."""
        body = {name: value for name, value in data.items() if name != SIGNATURE_FIELD}
        return self.check(canonical_json(body), data.get(SIGNATURE_FIELD))

    def refuse(self, status: SignatureStatus, what: str, signature: object = None) -> None:
        """SignatureError naming *what* unless *status* is ``ok``."""
        if status == "ok":
            return
        mine = f"{self.algorithm} key id {self.key_id}"
        if status == "unsigned":
            reason = "it is not signed"
        elif status == "other-key":
            theirs = signature.get("key_id") if isinstance(signature, Mapping) else None
            alg = signature.get("alg") if isinstance(signature, Mapping) else None
            reason = f"it is signed with another key ({str(alg)[:20]!r}, key id {str(theirs)[:40]!r})"
        else:
            reason = "its signature does not match its content: it was changed after signing"
        raise SignatureError(f"refused {what}: {reason}; this reader requires signatures by {mine}")


def _raw_public(public_key: Any) -> bytes:
    _ed25519, serialization = _crypto()
    raw: bytes = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw


def signer_from_env(environ: Mapping[str, str] | None = None) -> Signer | None:
    """The signer the environment configures (see the module docs), or None.

    ``SATCHEL_SIGNING_KEY`` wins over ``SATCHEL_SIGNING_KEY_FILE``, which wins over
    ``SATCHEL_VERIFY_KEY_FILE``.
    """
    env = os.environ if environ is None else environ
    text = env.get(KEY_ENV)
    if text:
        return Signer.hmac_text(text, f"${KEY_ENV}")
    path = env.get(KEY_FILE_ENV)
    if path:
        return Signer.from_file(path)
    path = env.get(VERIFY_KEY_FILE_ENV)
    if path:
        signer = Signer.from_file(path)
        if signer.can_sign:
            raise SatchelError(
                f"${VERIFY_KEY_FILE_ENV} names a signing key ({path}); give the public key there, "
                f"or the private key as ${KEY_FILE_ENV}"
            )
        return signer
    return None
