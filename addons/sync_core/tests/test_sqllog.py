import logging
import threading

from odoo.tests import BaseCase

from odoo.addons.sync_core.sqllog import expected_sql_errors

_sql = logging.getLogger("odoo.sql_db")


class TestExpectedSqlErrors(BaseCase):
    def test_only_the_expecting_thread_is_quiet(self):
        """A thread expecting an SQL error does not silence another thread's bad query, and
        leaving out of order (as odoo.tools.mute_logger would) unmutes nobody else."""
        inside, release, done = threading.Event(), threading.Event(), threading.Event()

        def expecting():
            with expected_sql_errors():
                inside.set()
                release.wait(5)
                _sql.error("bad query: expected in the other thread")
            done.set()

        thread = threading.Thread(target=expecting)
        with self.assertLogs("odoo.sql_db", "ERROR") as logs:
            thread.start()
            inside.wait(5)
            with expected_sql_errors():
                _sql.error("bad query: expected here")
            _sql.error("bad query: not expected")  # the other thread is still inside
            release.set()
            done.wait(5)
            _sql.error("bad query: not expected either")
        thread.join(5)
        self.assertEqual(
            [r.getMessage() for r in logs.records],
            ["bad query: not expected", "bad query: not expected either"],
        )
