"""Credentials encrypted at rest (plain logic, no ORM).

The key is never in the database: it comes from the Odoo server configuration
(`sync_secret_key = <key>` in odoo.conf) or the environment (`SYNC_SECRET_KEY`).  Several keys
separated by commas allow a rotation: the first encrypts, all of them decrypt
(`cryptography`'s MultiFernet); `rotate()` re-encrypts a value with the first.  A key is a
Fernet key (32 random bytes, url-safe base64), made with
`python3 -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())"`.

Tests (`--test-enable`) without a configured key use TEST_KEY, a key everybody knows: it
exists so that test runs need no set-up, never for a database that holds real credentials.
Anything else without a key fails with SecretKeyError; nothing is ever stored or read in clear.
"""

import functools
import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from odoo.exceptions import UserError
from odoo.tools import config

from .exceptions import SyncError

PREFIX = "sync-secret:v1:"
CONFIG_OPTION = "sync_secret_key"
ENV_VARIABLE = "SYNC_SECRET_KEY"
# Used only when Odoo runs with --test-enable and no key is configured (public: tests only).
TEST_KEY = "c3luY19jb3JlIHRlc3RzIG9ubHksIG5vdCBzZWNyZXQ="


class SecretKeyError(SyncError, UserError):
    """A credential cannot be encrypted or decrypted (key missing, wrong, or the value was
    stored before encryption).  A SyncError for the job runner (permanent, category
    authentication: one exception record on the backend), a UserError for the UI."""

    category = "authentication"


def configured_keys():
    """The configured key text (odoo.conf first, then the environment), or TEST_KEY under
    --test-enable, or "" (none)."""
    text = (config.get(CONFIG_OPTION) or os.environ.get(ENV_VARIABLE) or "").strip()
    if not text and config.get("test_enable"):
        return TEST_KEY
    return text


@functools.lru_cache(maxsize=8)
def _cipher(text):
    keys = [key.strip() for key in text.split(",") if key.strip()]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        raise SecretKeyError(
            "The encryption key of the sync credentials (server option "
            f"'{CONFIG_OPTION}' or environment variable {ENV_VARIABLE}) is not a valid key: "
            "each key must be 32 random bytes in url-safe base64 (see the README, Secrets)."
        ) from exc


def cipher(keys=None):
    """MultiFernet of the given or configured keys; SecretKeyError when there is none."""
    text = configured_keys() if keys is None else keys
    if not text:
        raise SecretKeyError(
            "No encryption key for the sync credentials: set the server option "
            f"'{CONFIG_OPTION}' in the Odoo configuration file (or the environment variable "
            f"{ENV_VARIABLE}) and restart Odoo. Credentials are never stored unencrypted."
        )
    return _cipher(text)


def is_encrypted(value):
    return isinstance(value, str) and value.startswith(PREFIX)


def encrypt(value, keys=None):
    """Plain text -> "sync-secret:v1:<Fernet token>"; empty values and values already
    encrypted pass through."""
    if not value or is_encrypted(value):
        return value
    return PREFIX + cipher(keys).encrypt(value.encode()).decode()


def decrypt(value, keys=None, label="A credential"):
    """Stored value -> plain text; SecretKeyError when the key does not open it or when it was
    stored unencrypted (no clear-text fallback).  `label` (a text, or a callable giving it)
    names the credential in the error."""
    if not value:
        return value
    if not is_encrypted(value):
        label = label() if callable(label) else label  # computed only for an error
        raise SecretKeyError(
            f"{label} is stored unencrypted (saved before encryption at rest): an administrator "
            "re-encrypts the credentials (Sync > Backends > Action > Re-encrypt credentials)."
        )
    try:
        return cipher(keys).decrypt(value[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        label = label() if callable(label) else label
        raise SecretKeyError(
            f"{label} cannot be decrypted: the encryption key configured on this server "
            f"('{CONFIG_OPTION}' / {ENV_VARIABLE}) is not the key it was saved with. Configure "
            "the right key (a rotation keeps the old key after the new one until the "
            "credentials are re-encrypted), or enter the credential again."
        ) from exc


def rotate(value, keys=None):
    """A stored value encrypted again with the first key (a clear-text value is encrypted);
    SecretKeyError when no configured key opens it."""
    if not value:
        return value
    if not is_encrypted(value):
        return encrypt(value, keys)
    try:
        token = cipher(keys).rotate(value[len(PREFIX) :].encode())
    except InvalidToken as exc:
        raise SecretKeyError(
            "A stored credential cannot be decrypted with any configured key: keep the old "
            "key after the new one while re-encrypting."
        ) from exc
    return PREFIX + token.decode()
