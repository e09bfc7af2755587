# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The subset of SOQL the fake answers: ``SELECT f, ... FROM T [WHERE cond] [ORDER BY f [ASC|DESC],
...] [LIMIT n]`` where cond combines ``field op literal`` and ``field [NOT] IN (...)`` with AND,
OR, NOT and parentheses.  Literals: quoted strings, dateTimes (``2024-05-01T10:00:00Z``, with
optional milliseconds and offset), numbers, true/false/null.  Errors are ``SoqlError`` with
Salesforce's ``MALFORMED_QUERY`` code."""

import re
from datetime import UTC, datetime


class SoqlError(ValueError):
    error_code = "MALFORMED_QUERY"


_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*')|(?P<dt>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?"
    r"(?:Z|[+-]\d{2}:?\d{2}))|(?P<num>-?\d+(?:\.\d+)?)|(?P<op><=|>=|!=|<>|=|<|>)"
    r"|(?P<punct>[(),])|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))"
)


def parse_datetime(text):
    text = text.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", text):
        text = f"{text[:-2]}:{text[-2:]}"
    return datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)


def _tokens(text):
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise SoqlError(f"unexpected token at: {text[pos : pos + 20]!r}")
        pos = match.end()
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "str":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        elif kind == "dt":
            value = parse_datetime(value)
        elif kind == "num":
            value = float(value)
        elif kind == "word" and value.lower() in ("true", "false", "null"):
            kind, value = "lit", {"true": True, "false": False, "null": None}[value.lower()]
        out.append((kind, value))
    return out


class Query:
    def __init__(self, text):
        self.tokens = _tokens(text)
        self.pos = 0
        self.fields, self.object_name = self._select()
        self.where = None
        self.order = []
        self.limit = None
        if self._keyword("WHERE"):
            self.where = self._or()
        if self._keyword("ORDER"):
            if not self._keyword("BY"):
                raise SoqlError("ORDER without BY")
            while True:
                field = self._word()
                descending = False
                if self._keyword("DESC"):
                    descending = True
                else:
                    self._keyword("ASC")
                self.order.append((field, descending))
                if not self._punct(","):
                    break
        if self._keyword("LIMIT"):
            kind, value = self._next()
            if kind != "num":
                raise SoqlError("LIMIT needs a number")
            self.limit = int(value)
        if self.pos != len(self.tokens):
            raise SoqlError(f"unexpected token {self.tokens[self.pos][1]!r}")

    # ---------------------------------------------------------------- tokens
    def _next(self):
        if self.pos >= len(self.tokens):
            raise SoqlError("unexpected end of query")
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def _peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)

    def _keyword(self, word):
        kind, value = self._peek()
        if kind == "word" and value.upper() == word:
            self.pos += 1
            return True
        return False

    def _punct(self, char):
        if self._peek() == ("punct", char):
            self.pos += 1
            return True
        return False

    def _word(self):
        kind, value = self._next()
        if kind != "word":
            raise SoqlError(f"expected a field name, got {value!r}")
        return value

    # ---------------------------------------------------------------- grammar
    def _select(self):
        if not self._keyword("SELECT"):
            raise SoqlError("a query starts with SELECT")
        fields = []
        while True:
            name = self._word()
            if name.upper() == "COUNT" and self._punct("("):
                if not self._punct(")"):
                    raise SoqlError("COUNT() takes no field here")
                name = "COUNT()"
            fields.append(name)
            if not self._punct(","):
                break
        if not self._keyword("FROM"):
            raise SoqlError("expected FROM")
        return fields, self._word()

    def _or(self):
        left = self._and()
        while self._keyword("OR"):
            right = self._and()
            left = ("or", left, right)
        return left

    def _and(self):
        left = self._not()
        while self._keyword("AND"):
            right = self._not()
            left = ("and", left, right)
        return left

    def _not(self):
        if self._keyword("NOT"):
            return ("not", self._not())
        if self._punct("("):
            inner = self._or()
            if not self._punct(")"):
                raise SoqlError("missing )")
            return inner
        field = self._word()
        negate = self._keyword("NOT")
        if self._keyword("IN"):
            if not self._punct("("):
                raise SoqlError("IN needs (")
            values = []
            while True:
                values.append(self._next()[1])
                if self._punct(")"):
                    break
                if not self._punct(","):
                    raise SoqlError("expected , in IN list")
            node = ("in", field, values)
            return ("not", node) if negate else node
        if negate:
            raise SoqlError("NOT must be followed by IN here")
        kind, op = self._next()
        if kind != "op":
            raise SoqlError(f"expected an operator after {field}")
        return ("cmp", field, "!=" if op == "<>" else op, self._next()[1])

    # ---------------------------------------------------------------- evaluation
    def names(self):
        """Every field name the query reads (SELECT, WHERE, ORDER BY)."""
        out = [f for f in self.fields if f != "COUNT()"] + [f for f, _d in self.order]
        stack = [self.where] if self.where else []
        while stack:
            node = stack.pop()
            if node[0] in ("or", "and"):
                stack += [node[1], node[2]]
            elif node[0] == "not":
                stack.append(node[1])
            else:
                out.append(node[1])
        return list(dict.fromkeys(out))

    def matches(self, record):
        return self.where is None or _eval(self.where, record)

    def sort(self, records):
        for field, descending in reversed(self.order):
            records.sort(key=lambda r, f=field: _key(r.get(f)), reverse=descending)
        return records


def _key(value):
    return (value is not None, value if value is not None else 0)


def _eval(node, record):
    op = node[0]
    if op == "or":
        return _eval(node[1], record) or _eval(node[2], record)
    if op == "and":
        return _eval(node[1], record) and _eval(node[2], record)
    if op == "not":
        return not _eval(node[1], record)
    if op == "in":
        return record.get(node[1]) in node[2]
    _op, field, cmp, literal = node
    value = record.get(field)
    if cmp == "=":
        return value == literal
    if cmp == "!=":
        return value != literal
    if value is None or literal is None:
        return False
    return {
        "<": value < literal,
        "<=": value <= literal,
        ">": value > literal,
        ">=": value >= literal,
    }[cmp]
