from . import sync_insight_view
from . import sync_insight_delivery
from . import sync_insight_pipeline
from . import sync_insight_utilization
from . import sync_insight_anomaly
from . import res_config_settings
from . import sync_insight_digest
from . import sync_backend
