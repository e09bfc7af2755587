"""Serving a connector's wire-level fake (plain Python, no Odoo import).

`ServedFake` makes a WSGI-callable fake serve itself on 127.0.0.1 in a daemon thread
(``start() -> base_url``, ``stop()``, context manager); its ``_stopping`` event lets injected
timeouts end early on stop.  `serve_until_interrupted` is the foreground loop of a connector's
``fake/__main__.py`` (the sandbox demo runs the fakes that way).
"""

import argparse
import logging
import runpy
import threading

from werkzeug.serving import WSGIRequestHandler, make_server


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        """Do not log every request (a fake serves thousands in a test run)."""


class ServedFake:
    """Mixin of a fake that is a WSGI application (``__call__(environ, start_response)``)."""

    thread_name = "sync-fake"
    base_url = None
    _server = _thread = None

    @property
    def _stopping(self):
        if "_stop_event" not in self.__dict__:
            self._stop_event = threading.Event()
        return self._stop_event

    def start(self, port=0):
        """Serve on 127.0.0.1 (a free port by default); return (and keep) ``base_url``."""
        self._stopping.clear()
        self._server = make_server(
            "127.0.0.1", port, self, threaded=True, request_handler=QuietHandler
        )
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # quick stop()
            name=self.thread_name,
            daemon=True,
        )
        self._thread.start()
        return self.base_url

    def stop(self):
        """Stop serving (pending injected sleeps are cut short)."""
        self._stopping.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()


def serve_until_interrupted(fake, port, logger, *banner):
    """Start `fake` on `port`, log the banner lines, serve until Ctrl-C / SIGTERM, stop."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    base_url = fake.start(port)
    for line in banner:
        logger.info(line.format(base_url=base_url))
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        logger.info("stopping")
    finally:
        fake.stop()


def fake_main(
    argv, port, options, make, seed_demo, banner, logger, seed="demo", then=None, **parser
):
    """The ``main`` of a connector's ``fake/__main__.py``: its command line (``--port``, then
    `options`, each ``(flag, default)`` or ``(flag, default, help)``, then ``--seed demo|none``
    with `seed` as default; `parser`: ArgumentParser's prog, description), the fake
    ``make(args)`` builds, ``seed_demo(fake)`` unless ``--seed none``, ``then(fake, args)``
    when given, served until interrupted under the lines ``banner(args, fake)``."""
    cli = argparse.ArgumentParser(**parser)
    for flag, default, *help_text in (("--port", port), *options):
        cli.add_argument(
            flag, type=type(default), default=default, help=next(iter(help_text), None)
        )
    cli.add_argument("--seed", choices=("demo", "none"), default=seed)
    args = cli.parse_args(argv)
    fake = make(args)
    if args.seed == "demo":
        seed_demo(fake)
    if then:
        then(fake, args)
    serve_until_interrupted(fake, args.port, logger, *banner(args, fake))


def run_main(main, package):
    """The ``if __name__ == "__main__"`` of a connector's ``fake/__main__.py``: run `main`
    when the fake runs as a package (``python -m fake``), else (a folder or a file: `package`
    empty) run the folder again as the package ``fake`` (the caller put its parent folder on
    ``sys.path`` and imported ``fake``, which makes sync_core importable)."""
    if package:
        main()
    else:
        runpy.run_module("fake", run_name="__main__", alter_sys=True)
