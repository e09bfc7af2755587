"""tests/ needs no database: pytest-odoo's session fixtures (loading an Odoo registry, starting
its HTTP server) are switched off here, so `pytest tests` runs with the plugin installed."""

import pytest


@pytest.fixture(scope="session", autouse=True)
def load_registry():
    yield


@pytest.fixture(scope="session", autouse=True)
def load_http():
    yield


@pytest.fixture(scope="module", autouse=True)
def enable_odoo_test_flag():
    yield
