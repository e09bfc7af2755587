"""Secrets are compared in constant time (hmac.compare_digest), never with == / != or by a
database lookup on the secret (issue 11, 2.6).  Scans the addons' code outside tests and fakes."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET_NAME = re.compile(r"secret|signature|hmac|password|passwd|_token\b|api_key", re.I)
# a domain leaf that looks a secret up in the database: ("webhook_token", "=", value)
SECRET_LOOKUP = re.compile(
    r"""\(\s*["'][\w.]*(secret|token|signature|password|api_key)[\w.]*["']\s*,\s*["'](=|==|=like|ilike|like|in)["']""",
    re.I,
)


def production_files():
    for path in sorted((ROOT / "addons").rglob("*.py")):
        parts = path.relative_to(ROOT / "addons").parts
        if "tests" in parts or "fake" in parts:
            continue
        yield path


def names_in(node):
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            yield sub.id
        elif isinstance(sub, ast.Attribute):
            yield sub.attr
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            yield sub.value


def test_secrets_compared_in_constant_time():
    offenders = []
    for path in production_files():
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Compare):
                continue
            if not any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
                continue
            operands = [node.left, *node.comparators]
            # comparing with None, a literal or a number is not comparing two secrets
            if any(isinstance(o, ast.Constant) for o in operands):
                continue
            if any(SECRET_NAME.search(name) for o in operands for name in names_in(o)):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
        for number, line in enumerate(source.splitlines(), 1):
            if SECRET_LOOKUP.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number} (database lookup)")
    assert not offenders, "compare secrets with hmac.compare_digest: " + ", ".join(offenders)


def test_the_check_sees_a_plain_comparison(tmp_path):
    """The scanner is not blind: a plain comparison of a signature is reported."""
    tree = ast.parse("if expected_signature == header_signature:\n    pass\n")
    compare = next(n for n in ast.walk(tree) if isinstance(n, ast.Compare))
    assert any(SECRET_NAME.search(n) for n in names_in(compare.left))
    assert SECRET_LOOKUP.search('search([("webhook_token", "=", token)])')
