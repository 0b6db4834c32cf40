"""The app keys at work on cookies (egg-cookies' `Keygrip`): sign, verify, encrypt, decrypt, with rotation.

`config.keys` is a comma-separated list: the first key signs and encrypts, every key verifies and
decrypts, so a new key goes first and an old one stays until the cookies it made have expired.

Signatures are egg's: an HMAC-SHA256 of `name=value`, url-safe base64 without padding, so a cookie
signed by egg verifies here. Encryption is not egg's: egg-cookies uses AES-256-CBC with an IV derived
from the key and no MAC (identical plaintexts give identical cookies, and a ciphertext can be altered
unnoticed). eggbin uses Fernet from `cryptography` (AES-128-CBC with a random IV, then HMAC-SHA256),
authenticated encryption, so an encrypted cookie is also a signed one; each Fernet key is derived
from one app key with HKDF.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

HKDF_INFO = b"eggbin cookie encryption"


def sign(data: str, key: str) -> str:
    """egg's cookie signature: HMAC-SHA256, url-safe base64 without `=` padding."""
    digest = hmac.new(key.encode(), data.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@cache
def _fernet(key: str) -> Fernet:
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


class Keygrip:
    """A rotation of keys: the first signs and encrypts, any verifies and decrypts."""

    def __init__(self, keys: tuple[str, ...]) -> None:
        if not keys:
            raise ValueError("a Keygrip needs at least one key")
        self.keys = keys

    def sign(self, data: str) -> str:
        return sign(data, self.keys[0])

    def verify(self, data: str, digest: str) -> int:
        """The index of the key that signed `data` as `digest`, or -1."""
        for index, key in enumerate(self.keys):
            if hmac.compare_digest(sign(data, key).encode(), digest.encode()):
                return index
        return -1

    def encrypt(self, text: str) -> str:
        """`text` encrypted and authenticated under the first key (a url-safe token)."""
        return _fernet(self.keys[0]).encrypt(text.encode()).decode("ascii")

    def decrypt(self, token: str) -> tuple[str, int] | None:
        """`(text, index of the key that opened it)`, or `None` when no key opens `token` intact."""
        from cryptography.fernet import InvalidToken

        raw = token.encode("ascii", "replace")
        for index, key in enumerate(self.keys):
            try:
                return _fernet(key).decrypt(raw).decode(), index
            except (InvalidToken, UnicodeDecodeError):
                continue
        return None


@cache
def keygrip(keys: str) -> Keygrip:
    """The `Keygrip` of a `config.keys` string (cached: one per distinct value, as egg's `keyCache`)."""
    return Keygrip(tuple(key.strip() for key in keys.split(",") if key.strip()))
