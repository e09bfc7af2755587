from . import (
    sync_exception_assign,
    sync_exception_ignore,
    sync_exception_link,
    sync_watermark_resync,
)
