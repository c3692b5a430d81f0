"""Connection passwords in a backup: left out (the default) or encrypted with a passphrase.

The key is derived from the passphrase with Scrypt and a random salt (stored in the manifest
with the Scrypt parameters); the file is encrypted with Fernet (AES-128-CBC + HMAC-SHA256), so
a wrong passphrase or an edited file is detected, never decrypted into garbage. Neither the
passphrase nor a password ever reaches the manifest, the output or a log.
"""

from __future__ import annotations

import base64
import os

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from core.backup.manifest import WrongPassphrase
from core.errors import InvalidInput

PASSPHRASE_ENV = "AW_BACKUP_PASSPHRASE"
MIN_PASSPHRASE = 8
# Scrypt at n=2**15 takes ~0.1 s and 32 MB: cheap once, expensive for someone guessing.
_N, _R, _P = 2**15, 8, 1


def check_passphrase(passphrase: str | None) -> str:
    if not passphrase or len(passphrase) < MIN_PASSPHRASE:
        raise InvalidInput(f"The backup passphrase must have at least {MIN_PASSPHRASE} characters.")
    return passphrase


def _key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return base64.urlsafe_b64encode(Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8")))


def encrypt(data: bytes, passphrase: str) -> tuple[bytes, dict]:
    """The encrypted bytes and the key-derivation parameters to keep in the manifest."""
    salt = os.urandom(16)
    token = Fernet(_key(check_passphrase(passphrase), salt, _N, _R, _P)).encrypt(data)
    return token, {"cipher": "fernet", "kdf": "scrypt", "n": _N, "r": _R, "p": _P,
                   "salt": base64.b64encode(salt).decode("ascii")}


def decrypt(token: bytes, passphrase: str, params: dict) -> bytes:
    try:
        salt = base64.b64decode(params["salt"])
        key = _key(passphrase or "", salt, int(params["n"]), int(params["r"]), int(params["p"]))
    except (KeyError, TypeError, ValueError):
        raise InvalidInput("The backup's secrets section is damaged: restore without secrets "
                           "(--exclude-secrets) and enter the connection passwords again.") from None
    try:
        return Fernet(key).decrypt(token)
    except InvalidToken:
        raise WrongPassphrase("The passphrase is wrong: the connection passwords in this backup cannot be decrypted "
                              "with it. Try again, or restore without them (--exclude-secrets).") from None
