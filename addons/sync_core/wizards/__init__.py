from . import (
    sync_exception_wizard,
    sync_exception_assign,
    sync_exception_ignore,
    sync_exception_link,
    sync_exception_use_existing,
    sync_mapping_preview,
    sync_watermark_resync,
    sync_forget,
    sync_forget_chatter,
    sync_config_import,
)
