"""A fake of the generic JSON API that `GenericRestAdapter` speaks (used by tests and bench)."""

from .server import GenericFake
