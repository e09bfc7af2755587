"""Client actions the buttons return (plain dicts, no ORM)."""


def notification_then_reload(title, message, kind="info", sticky=None):
    """A notification (kind: info, success, warning, danger), then the view reloads to show
    what changed."""
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {
            "title": title,
            "message": message,
            "type": kind,
            "sticky": kind in ("danger", "warning") if sticky is None else sticky,
            "next": {"type": "ir.actions.client", "tag": "soft_reload"},
        },
    }
