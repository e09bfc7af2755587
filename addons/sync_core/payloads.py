"""Job payloads (plain Python): how new work joins a pending job with the same identity."""

from .hashing import canonical_json


def merge_payload(old, new):
    """The payload of a pending job after new work with the same identity met it.

    Lists are united (order kept, each value once: e.g. the ids of a merge event join the
    ids already waiting), dicts are merged key by key, a key only the new work carries is
    added; where both carry a different scalar, the pending job's value stays (an operator
    may have edited it).  Returns `old` itself when nothing is new.
    """
    if new is None or old == new:
        return old
    if old is None:
        return new
    if isinstance(old, list) and isinstance(new, list):
        seen = {canonical_json(v) for v in old}
        extra = []
        for value in new:
            key = canonical_json(value)
            if key not in seen:
                seen.add(key)
                extra.append(value)
        return [*old, *extra] if extra else old
    if isinstance(old, dict) and isinstance(new, dict):
        merged = dict(old)
        for key, value in new.items():
            merged[key] = merge_payload(old[key], value) if key in old else value
        return merged if merged != old else old
    return old
