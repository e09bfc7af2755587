"""In-memory HTTP server for sync_core's generic REST protocol (see adapter.GenericRestAdapter).

Real HTTP on 127.0.0.1 (werkzeug), state in memory, and switches to inject 429/5xx, timeouts
and malformed bodies.  No Odoo import: usable from tests, benchmarks and the demo.
"""

import bisect
import json
import threading
import time
from datetime import UTC, datetime, timedelta

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


def _iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)


class GenericFake:
    def __init__(self, token="test-token"):
        self.token = token
        self.objects = {}
        self._order = {}  # object name -> its records and their keys in (stamp, id) order
        self.lock = threading.Lock()
        self.faults = []  # list of dicts: status, retry_after, sleep, malformed, path
        self.rate_limit = None  # (max per interval, remaining, interval seconds) to announce
        self.calls = []
        self._seq = 0
        self.server = None
        self.base_url = None

    def reset(self):
        with self.lock:
            self.objects.clear()
            self._order.clear()
            self.faults.clear()
            self.calls.clear()
            self.rate_limit = None

    # ------------------------------------------------------------- state helpers
    def put(self, name, data, ext_id=None, updated_at=None, archived=False, omit=()):
        """Store a record; `omit`: keys its JSON leaves out on the wire (e.g. ("id",))."""
        with self.lock:
            self._seq += 1
            ext_id = str(ext_id or self._seq)
            stamp = updated_at or (
                datetime.now(UTC).replace(tzinfo=None) + timedelta(microseconds=self._seq)
            )
            self._order.pop(name, None)
            self.objects.setdefault(name, {})[ext_id] = {
                "id": ext_id,
                "updated_at": stamp,
                "archived": archived,
                "data": dict(data),
                "_omit": tuple(omit),
            }
            return ext_id

    def get(self, name, ext_id):
        return self.objects.get(name, {}).get(str(ext_id))

    def fail_next(self, count=1, status=500, retry_after=None, sleep=0, malformed=False, path=""):
        for _i in range(count):
            self.faults.append(
                {
                    "status": status,
                    "retry_after": retry_after,
                    "sleep": sleep,
                    "malformed": malformed,
                    "path": path,
                }
            )

    def count(self, method=None, path_contains=""):
        return sum(
            1 for m, p in self.calls if (method is None or m == method) and path_contains in p
        )

    # ------------------------------------------------------------- server
    def start(self):
        self.server = make_server("127.0.0.1", 0, self, threaded=True)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self.base_url

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def _json(self, data, status=200, headers=None):
        headers = dict(headers or {})
        if self.rate_limit:
            limit, remaining, interval = self.rate_limit
            headers["X-RateLimit-Limit"] = str(limit)
            headers["X-RateLimit-Remaining"] = str(remaining)
            headers["X-RateLimit-Interval"] = str(interval)
        return Response(
            json.dumps(data), status=status, headers=headers, content_type="application/json"
        )

    def dispatch(self, request):
        self.calls.append((request.method, request.path))
        for fault in list(self.faults):
            if fault["path"] in request.path:
                self.faults.remove(fault)
                if fault["sleep"]:
                    time.sleep(fault["sleep"])
                if fault["malformed"]:
                    return Response("<html>oops", status=200, content_type="application/json")
                headers = {"Retry-After": str(fault["retry_after"])} if fault["retry_after"] else {}
                return self._json({"error": "injected"}, fault["status"], headers)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return self._json({"error": "unauthorized"}, 401)
        parts = [p for p in request.path.split("/") if p]
        if parts == ["ping"]:
            return self._json({"name": "generic fake"})
        if len(parts) >= 2 and parts[0] == "objects":
            name = parts[1]
            if len(parts) == 2 and request.method == "GET":
                return self._list(name, request.args)
            if parts[2:] == ["batch", "read"] and request.method == "POST":
                ids = [str(i) for i in request.get_json()["ids"]]
                found = [self._out(self.get(name, i)) for i in ids if self.get(name, i)]
                return self._json({"results": list(reversed(found))})
            if parts[2:] == ["batch", "upsert"] and request.method == "POST":
                results = []
                for item in request.get_json()["inputs"]:
                    current = self.get(name, item.get("id")) if item.get("id") else None
                    data = {**(current["data"] if current else {}), **item["data"]}
                    results.append({"id": self.put(name, data, ext_id=item.get("id"))})
                return self._json({"results": results})
        return self._json({"error": "not found"}, 404)

    def _out(self, rec):
        out = {**rec, "updated_at": _iso(rec["updated_at"])}
        for key in ("_omit", *rec.get("_omit", ())):
            out.pop(key, None)
        return out

    def _list(self, name, args):
        """A keyset page in (stamp, id) order, found by bisection in the records kept in that
        order (as a remote's index would: a page costs no sort of the whole object)."""
        limit = min(int(args.get("limit", 100)), 500)
        with self.lock:
            order = self._order.get(name)
            if order is None:
                rows = sorted(
                    self.objects.get(name, {}).values(), key=lambda r: (r["updated_at"], r["id"])
                )
                order = self._order[name] = (rows, [(r["updated_at"], r["id"]) for r in rows])
        rows, keys = order
        start = 0
        if args.get("since"):
            start = bisect.bisect_left(keys, (_parse(args["since"]), ""))
        if args.get("after_stamp"):
            key = (_parse(args["after_stamp"]), args.get("after_id", ""))
            start = max(start, bisect.bisect_right(keys, key))
        return self._json({"results": [self._out(r) for r in rows[start : start + limit]]})
