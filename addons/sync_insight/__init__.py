from . import models
from .models.sql_dirty import uninstall_triggers


def uninstall_hook(env):
    """Drop the dirty-month triggers on the source tables and their log."""
    uninstall_triggers(env.cr)
