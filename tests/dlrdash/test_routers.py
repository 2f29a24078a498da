"""Dashboard reads go to the replica when there is one; everything else to the primary."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import django; django.setup()
from django.db import router
from deliveries.models import Message
from deliveries.models import DeliveryRollup
print(router.db_for_read(DeliveryRollup), router.db_for_read(Message),
      router.db_for_write(DeliveryRollup), router.allow_migrate("replica", "deliveries"))
"""


def probe(**env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_REPLICA_URL"} | env
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=environment | {"DJANGO_SETTINGS_MODULE": "dlrdash.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_with_a_replica_rollup_reads_go_there_and_writes_stay_on_the_primary():
    routes = probe(DATABASE_REPLICA_URL="postgres://reader@replica.internal:5432/dlrdash")

    assert routes == "replica default default False"


def test_without_a_replica_everything_uses_the_primary():
    assert probe() == "default default default False"
