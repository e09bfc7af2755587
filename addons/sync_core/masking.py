"""Masking of sensitive values in what the engine stores (plain logic, no ORM).

Keys are compared without case.  A JSON text is masked structurally (every value under a
sensitive key, at any depth, becomes MASK); any other text (a SOAP body, a form, a message)
is masked by pattern: `<key>value</key>`, `"key": value`, `key=value`.
"""

import functools
import json
import re

MASK = "***"
FORGOTTEN = "*** forgotten ***"


def normalize(keys):
    return frozenset(str(key).lower() for key in keys or () if key)


def mask_data(data, keys):
    """A copy of a JSON-like value with the values of sensitive keys replaced by MASK;
    (masked data, how many values were masked)."""
    keys = normalize(keys)
    if not keys:
        return data, 0
    count = 0

    def walk(value):
        nonlocal count
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if str(key).lower() in keys and item not in (None, "", MASK):
                    out[key] = MASK
                    count += 1
                else:
                    out[key] = walk(item)
            return out
        if isinstance(value, list):
            return [walk(item) for item in value]
        return value

    return walk(data), count


@functools.lru_cache(maxsize=64)
def _patterns(keys):
    names = "|".join(re.escape(key) for key in sorted(keys))
    return [
        # <ns:key>value</ns:key>
        (
            re.compile(rf"(<(?:[\w.-]+:)?(?:{names})\b[^>]*>)([^<]+)(</)", re.IGNORECASE),
            r"\1" + MASK + r"\3",
        ),
        # "key": value  /  'key': value (JSON-ish or Python reprs inside a text)
        (
            re.compile(
                rf"""(["'](?:{names})["']\s*:\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^,}}\]\s]+)""",
                re.IGNORECASE,
            ),
            r'\1"' + MASK + '"',
        ),
        # key=value (forms, query strings, log lines)
        (re.compile(rf"(\b(?:{names})=)([^&\s,;]+)", re.IGNORECASE), r"\1" + MASK),
    ]


def mask_text(text, keys):
    """A stored text with the values of sensitive keys masked; (text, count)."""
    keys = normalize(keys)
    if not text or not keys or not isinstance(text, str):
        return text, 0
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        data = None
    if isinstance(data, dict | list):
        masked, count = mask_data(data, keys)
        return (json.dumps(masked, ensure_ascii=False) if count else text), count
    count = 0
    for pattern, repl in _patterns(keys):
        text, found = pattern.subn(repl, text)
        count += found
    return text, count


def mask_changes(changes, fields):
    """Audit {field: [before, after]} with both values of sensitive fields masked."""
    fields = normalize(fields)
    if not changes or not fields or not isinstance(changes, dict):
        return changes, 0
    out, count = {}, 0
    for name, pair in changes.items():
        if name.lower() in fields and isinstance(pair, list | tuple):
            out[name] = [MASK if v not in (None, False, "") else v for v in pair]
            count += 1
        else:
            out[name] = pair
    return out, count


def forget_text(text, needles):
    """A text with every occurrence of the given values (a person's name, e-mail, phone,
    remote id) replaced: the "forget this person" action; (text, count)."""
    if not text or not isinstance(text, str):
        return text, 0
    count = 0
    for needle in sorted({n for n in needles if n and len(str(n)) >= 3}, key=len, reverse=True):
        pattern = re.compile(re.escape(str(needle)), re.IGNORECASE)
        text, found = pattern.subn(FORGOTTEN, text)
        count += found
    return text, count
