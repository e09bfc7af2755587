"""Fault injection shared by the wire-level fakes (plain Python, no Odoo import).

A fake mixes in `FaultInjector` and asks `_take_fault(method, path)` at the top of every
request it serves; what a fault looks like on the wire stays the fake's own (each vendor has
its error bodies): the fake renders a ``status`` fault with its vendor's body, answers a
``malformed`` one with a truncated body of the endpoint's format, and calls
:func:`reset_connection` for a ``reset`` one.  Kinds every fake understands:

- ``status``: answer ``status`` (with ``Retry-After: retry_after`` when given) and the vendor's
  error body; ``details`` carries vendor specifics (an error code, a message, a policy);
- ``timeout``: answer normally, ``seconds`` late (past the client's timeout; the answer is
  decided when the request arrives, as a slow server's is);
- ``malformed``: answer 200 with a truncated body (the transfer cut short);
- ``reset``: close the connection without an answer;
- a fake may add its own (Salesforce: ``expire``, its sessions invalidated mid-run).

Faults are queued (the next ``n`` matching requests: :meth:`FaultInjector.add_fault`,
:meth:`~FaultInjector.reset_next`, :meth:`~FaultInjector.malformed_next`) or seeded random
(:meth:`FaultInjector.random_faults`: about ``rate`` of the matching requests that no queued
fault takes, drawn from ``random.Random(seed)``: the same requests in the same order get the
same faults).  ``faults_injected`` counts them by kind (a status by its code: "429", "503").
"""

import collections
import contextlib
import dataclasses
import random
import socket
import threading

_FIELDS = ("status", "retry_after", "body", "seconds", "skip")


@dataclasses.dataclass
class Fault:
    kind: str  # "status", "timeout", "malformed", "reset", or a fake's own
    remaining: int = 1
    status: int = 200
    retry_after: float | None = None
    body: object = None  # a vendor body to answer instead of the fake's default one
    seconds: float = 0.0
    skip: int = 0  # matching requests served normally before the fault starts
    methods: tuple = ()
    path_contains: str | None = None
    details: dict = dataclasses.field(default_factory=dict)  # vendor specifics

    def matches(self, method, path):
        return (not self.methods or method in self.methods) and (
            not self.path_contains or self.path_contains in path
        )

    @property
    def label(self):
        """How ``faults_injected`` counts it: a status by its code, else its kind."""
        return str(self.status) if self.kind == "status" else self.kind


def make_fault(kind, n=1, methods=None, path_contains=None, **values):
    """A fault: `values` that are not :class:`Fault` fields go to ``details``."""
    methods = tuple(m.upper() for m in ([methods] if isinstance(methods, str) else methods or ()))
    known = {k: values.pop(k) for k in _FIELDS if k in values}
    return Fault(
        kind, n, methods=methods, path_contains=path_contains or None, details=values, **known
    )


class FaultInjector:
    """Mixin of a fake: queued and seeded random faults, counted in ``faults_injected``."""

    @property
    def _fault_state(self):
        if "_fault_box" not in self.__dict__:
            self._fault_box = {"lock": threading.Lock(), "queued": [], "random": None}
            self.faults_injected = collections.Counter()
        return self._fault_box

    def add_fault(self, kind, n=1, methods=None, path_contains=None, **values):
        """Inject `kind` into the next `n` matching requests (any method / path by default),
        after ``skip`` of them (a value) were served normally."""
        fault = make_fault(kind, n, methods, path_contains, **values)
        state = self._fault_state
        with state["lock"]:
            state["queued"].append(fault)
        return fault

    def status_next(self, n, methods, path_contains, status, retry_after=None, body=None, **more):
        """Answer the next `n` matching requests `status` (with ``Retry-After`` when given):
        `body` as it is, else the vendor's error body the fake builds from `more`."""
        return self.add_fault(
            "status",
            n,
            methods,
            path_contains,
            status=status,
            retry_after=retry_after,
            body=body,
            **more,
        )

    def reset_next(self, n=1, methods=None, path_contains=None):
        """Close the connection of the next ``n`` matching requests without an answer."""
        self.add_fault("reset", n, methods, path_contains)

    def malformed_next(self, n=1, methods=None, path_contains=None):
        """Answer the next ``n`` matching requests 200 with a truncated body."""
        self.add_fault("malformed", n, methods, path_contains)

    def random_faults(self, rate, kinds, seed=0, methods=None, path_contains=None):
        """Answer about ``rate`` of the matching requests (those no queued fault takes) with
        one of ``kinds`` (dicts: ``kind`` and e.g. ``status``, ``retry_after``, ``seconds``,
        vendor details), drawn from a generator seeded with ``seed``."""
        faults = [make_fault(n=1, methods=methods, path_contains=path_contains, **k) for k in kinds]
        state = self._fault_state
        with state["lock"]:
            state["random"] = (random.Random(seed), rate, faults)

    def clear_faults(self):
        """Drop the faults not yet consumed, and stop the random ones."""
        state = self._fault_state
        with state["lock"]:
            state["queued"].clear()
            state["random"] = None

    def _serve_faulted(self, environ, start_response, request, dispatch, fault_response):
        """Answer `request` (a werkzeug Request) as a fault taken for it says, else with
        ``dispatch(request)``: ``reset`` closes the connection, ``status`` answers
        ``fault_response(fault, request)`` (the vendor's error), ``malformed`` cuts a
        successful answer short, ``timeout`` answers ``seconds`` late."""
        fault = self._take_fault(request.method, request.path)
        if fault and fault.kind == "reset":
            return reset_connection(environ, start_response)
        if fault and fault.kind == "status":
            response = fault_response(fault, request)
        else:
            response = dispatch(request)
        if fault and fault.kind == "malformed" and response.status_code < 300:
            response.set_data(truncated(response.get_data()))
        if fault and fault.kind == "timeout":
            self._stopping.wait(fault.seconds)
        return response(environ, start_response)

    def _take_fault(self, method, path):
        """The fault to inject into this request, if any (counted)."""
        state = self._fault_state
        with state["lock"]:
            fault = None
            for queued in state["queued"]:
                if queued.matches(method, path) and queued.skip > 0:
                    queued.skip -= 1
                    return None
                if queued.matches(method, path):
                    queued.remaining -= 1
                    if queued.remaining <= 0:
                        state["queued"].remove(queued)
                    fault = queued
                    break
            if fault is None and state["random"]:
                rng, rate, kinds = state["random"]
                if kinds and kinds[0].matches(method, path) and rng.random() < rate:
                    fault = rng.choice(kinds)
            if fault is not None:
                self.faults_injected[fault.label] += 1
        return fault


def reset_connection(environ, start_response):
    """Drop the connection: the client reads no status line (a reset connection)."""
    connection = environ.get("werkzeug.socket")
    if connection is not None:
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)
    start_response("500 Internal Server Error", [])
    return [b""]


def truncated(body):
    """A body cut short (about half of it, never all): what a client reads from a transfer
    that ended early while the length announced matches what was sent."""
    if isinstance(body, str):
        body = body.encode()
    return body[: max(1, len(body) // 2)] if len(body) > 1 else b"{"
