"""No secret, token, signature value or full phone number ever reaches a log."""

import logging

import pytest

from ..helpers import SMSTAKE_SECRET, WAVIX_SECRET, fixture_bytes, smstake_sign

pytestmark = pytest.mark.django_db


def test_a_full_webhook_round_logs_nothing_secret_or_personal(
    caplog, post_smstake, post_wavix, admin_client, monkeypatch
):
    caplog.set_level(logging.DEBUG)
    body = fixture_bytes("smstake", "delivered.json")
    post_smstake(body)
    post_smstake(body, signature=smstake_sign(body, "forged"))  # refused: logged
    post_smstake(b"{not json")  # unparseable: logged
    post_wavix(fixture_bytes("wavix", "delivered.json"))
    post_wavix(fixture_bytes("wavix", "delivered.json"), token="wrong-token")
    monkeypatch.setattr("webhooks.inbox.reports_apply", _boom)
    post_smstake(fixture_bytes("smstake", "sent.json"))  # processing error: logged
    admin_client.get("/api/v1/messages/")

    formatter = logging.Formatter("%(message)s")
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert caplog.records  # the round did log something
    for secret in (
        SMSTAKE_SECRET,
        WAVIX_SECRET,
        "wrong-token",
        smstake_sign(body).removeprefix("sha256="),
        "+919876543210",
        "9876543210",
    ):
        assert secret not in logged


def _boom(**kwargs: object) -> None:
    raise RuntimeError("database hiccup")
