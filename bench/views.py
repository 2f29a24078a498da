"""Baseline views: the least work a webhook receiver can possibly do.

`bare_ok` is the floor of the server + Django stack; `bare_verify_insert` adds what any
correct receiver must do — check the HMAC over the raw body and make the body durable
with one INSERT (autocommit) — and nothing else: no endpoint lookup, no log row fields.
"""

import hashlib
import hmac

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

# Created by the suite (bench.db.baseline_table_create); not a model, so no migration.
INSERT_SQL = "INSERT INTO bench_hit (received_at, body) VALUES (now(), %s)"


@csrf_exempt
def bare_ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=200)


@csrf_exempt
def bare_verify_insert(request: HttpRequest) -> HttpResponse:
    body = request.body
    header = request.headers.get("X-SMSTAKE-Signature", "")
    # bench.settings defines it; mypy knows only the project's settings module.
    secret: str = settings.BENCH_HMAC_SECRET  # type: ignore[misc]
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(header, expected):
        return HttpResponse(status=401)
    with connection.cursor() as cursor:
        cursor.execute(INSERT_SQL, [body])
    return HttpResponse(status=200)
