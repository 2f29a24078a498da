"""Read replica routing: the dashboard's rollup reads go to DATABASE_REPLICA_URL when set.

Only reads that tolerate replication lag are routed — the rollups the dashboard, campaign
pages and `stats/` API read. Everything on the write path (webhooks, apply, registration,
trace, admin) stays on the primary, so nobody reads their own write from a lagging copy.
"""

from typing import Any

from django.conf import settings
from django.db import models

REPLICA = "replica"
_REPLICA_READ_MODELS = frozenset({"deliveries.deliveryrollup"})


class ReplicaRouter:
    def db_for_read(self, model: type[models.Model], **hints: Any) -> str | None:
        if REPLICA in settings.DATABASES and model._meta.label_lower in _REPLICA_READ_MODELS:
            return REPLICA
        return None

    def db_for_write(self, model: type[models.Model], **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: models.Model, obj2: models.Model, **hints: Any) -> bool:
        return True  # one database, two connections to it

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"
