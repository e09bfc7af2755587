"""What a connection test learnt about the remote account (plain Python, no ORM).

An adapter's ``test_connection()`` returns a `ConnectionInfo`; the backend stores it
(``sync.backend.connection_info``, JSON) and shows its `summary()`.  Connectors read the facts
they keep (an account id, a time zone) from the stored dict, never out of the text.
"""

from .remote_errors import one_line


class ConnectionInfo:
    """system: the remote's name ("Salesforce"); account_id / account_name: the account the
    credentials open, and account_label what the remote calls it ("org", "portal");
    user: who the credentials are; limits: [{"label", "remaining", "max", "used"}] of the
    quotas the remote told (calls left today ...); details: {label: value} other facts shown
    (time zone, scopes, access level); warnings: what works but limits the sync."""

    def __init__(
        self,
        system,
        *,
        account_id=None,
        account_name=None,
        account_label="account",
        user=None,
        limits=(),
        details=None,
        warnings=(),
    ):
        self.system = system
        self.account_id = None if account_id in (None, "") else str(account_id)
        self.account_name = account_name or None
        self.account_label = account_label
        self.user = user or None
        self.limits = [dict(limit) for limit in limits]
        self.details = {k: v for k, v in (details or {}).items() if v not in (None, "", [])}
        self.warnings = [w for w in warnings if w]

    @staticmethod
    def limit(label, remaining, maximum, used=None):
        """One quota: `remaining` of `maximum` (`used` = maximum - remaining when not given)."""
        if used is None and remaining is not None and maximum is not None:
            used = maximum - remaining
        return {"label": label, "remaining": remaining, "max": maximum, "used": used}

    def as_dict(self):
        return {
            "system": self.system,
            "account_id": self.account_id,
            "account_name": self.account_name,
            "account_label": self.account_label,
            "user": self.user,
            "limits": self.limits,
            "details": self.details,
            "warnings": self.warnings,
        }

    @classmethod
    def from_dict(cls, values):
        values = dict(values or {})
        return cls(values.pop("system", "") or "", **values)

    def summary(self, limit=1000):
        """One line: ``HubSpot portal 62515 (Acme) as ann@acme.example; daily API calls left:
        9,000 of 10,000; time zone: Europe/Brussels; <warnings>``."""
        head = self.system
        if self.account_id:
            head += f" {self.account_label} {self.account_id}"
        if self.account_name:
            head += f" ({self.account_name})"
        if self.user:
            head += f" as {self.user}"
        if not (self.account_id or self.account_name or self.user):
            head = f"connected to {self.system}"
        parts = [head]
        for quota in self.limits:
            maximum = "?" if quota.get("max") is None else f"{quota['max']:,}"
            remaining = "?" if quota.get("remaining") is None else f"{quota['remaining']:,}"
            parts.append(f"{quota['label']} left: {remaining} of {maximum}")
        parts.extend(f"{label}: {_text(value)}" for label, value in self.details.items())
        parts.extend(self.warnings)
        return one_line("; ".join(parts), limit)


def _text(value):
    return ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)
