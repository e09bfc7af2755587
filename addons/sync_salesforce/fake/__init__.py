"""Wire-level Salesforce fake (tests, benchmarks and the sandbox demo)."""

from .server import SalesforceFake
