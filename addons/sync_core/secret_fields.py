"""Field classes of credentials encrypted at rest (see secrets_at_rest.py).

A connector declares a credential as `SecretChar(groups=MANAGER, copy=False)` (or
`SecretText` for a PEM key) instead of `fields.Char`: the column and the cache hold
"sync-secret:v1:<token>", the value is decrypted only when code reads the field (an adapter
building its client).  Writing without a usable key raises SecretKeyError (nothing stored in
clear); reading with a missing or wrong key raises it too, except inside `_read_format` (the
form, RPC reads), where the value reads as empty and the backend's `secret_problem` says why.
Not prefetched: reading a backend's name never decrypts its credentials.
"""

from odoo import fields

from . import secrets_at_rest

UNREADABLE_OK = "sync_secret_unreadable_ok"


class _SecretMixin:
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefetch", False)
        super().__init__(*args, **kwargs)

    def convert_to_cache(self, value, record, validate=True):
        value = super().convert_to_cache(value, record, validate)
        return secrets_at_rest.encrypt(value) if value else value

    def convert_to_record(self, value, record):
        value = super().convert_to_record(value, record)
        if not value:
            return value
        try:
            return secrets_at_rest.decrypt(value, label=lambda: self._secret_label(record))
        except secrets_at_rest.SecretKeyError:
            if record.env.context.get(UNREADABLE_OK):
                return False
            raise

    def _secret_label(self, record):
        label = f"The {self.string} of {record._description.split(' (')[0].lower()}"
        if len(record) == 1 and "name" in record._fields:
            label += f" '{record.sudo().name}'"
        return label


class SecretChar(_SecretMixin, fields.Char):
    """A Char credential stored encrypted."""


class SecretText(_SecretMixin, fields.Text):
    """A Text credential (e.g. a PEM private key) stored encrypted."""
