import pytest
from django.core.management import CommandError, call_command

from deliveries.models import Message
from webhooks.models import InboundEvent, WebhookEndpoint

from ..conftest import run_worker

pytestmark = pytest.mark.django_db


def test_create_endpoint_is_idempotent_and_keeps_two_secrets_for_rotation(capsys):
    args = ["create_endpoint", "--provider", "smstake", "--slug", "acme-smstake"]
    call_command(*args, "--secret", "old")
    call_command(*args, "--secret", "old", "--secret", "new")

    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secrets == ["old", "new"]
    assert "/webhooks/acme-smstake/" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("provider", "console"),
    [
        ("whatsapp", "Verify token"),
        ("rbm", "clientToken"),
        ("azure_acs", "?token=<secret>"),
        ("msg91", "?token=<secret>"),
        ("vonage_voice", "Event URL"),
    ],
)
def test_create_endpoint_prints_the_url_and_the_console_steps(capsys, provider, console):
    call_command(
        "create_endpoint",
        "--provider",
        provider,
        "--slug",
        f"acme-{provider}",
        "--secret",
        "s3",
        "--base-url",
        "https://dlr.example.com",
    )

    out = capsys.readouterr().out
    assert f"https://dlr.example.com/webhooks/acme-{provider}/" in out
    assert console in out


@pytest.mark.parametrize(
    "provider", ["gupshup", "exotel", "kaleyra", "bandwidth", "africastalking", "clickatell"]
)
def test_create_endpoint_prints_the_url_and_the_console_steps_for_each_gateway(provider, capsys):
    call_command(
        "create_endpoint",
        *("--provider", provider, "--slug", f"{provider}-live", "--secret", "s3cret-token"),
        *("--base-url", "https://dlr.example.com"),
    )

    out = capsys.readouterr().out
    assert f"https://dlr.example.com/webhooks/{provider}-live/" in out
    assert "?token=<secret>" in out  # where the console wants the URL, and with what
    assert "s3cret-token" not in out


def test_create_endpoint_refuses_a_slug_that_cannot_be_a_url():
    with pytest.raises(CommandError):
        call_command(
            "create_endpoint", "--provider", "wavix", "--slug", "not a slug", "--secret", "s"
        )


def test_simulate_posts_signed_traffic_through_the_real_view(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("simulate", messages=40, seed=7, verbosity=0)
    run_worker()

    assert InboundEvent.objects.filter(response_code=200).count() == InboundEvent.objects.count()
    assert InboundEvent.objects.exclude(auth_ok=True).count() == 0
    assert Message.objects.count() >= 40
    statuses = set(Message.objects.values_list("status", flat=True))
    assert {"delivered"} <= statuses
    assert InboundEvent.objects.filter(outcome="unparseable").count() == 0


def test_setup_demo_works_with_the_production_settings(
    settings, django_capture_on_commit_callbacks
):
    # What DEBUG=0 turns on: plain HTTP is redirected to HTTPS, only named hosts are served.
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["dlr.example.com"]

    with django_capture_on_commit_callbacks(execute=True):
        call_command("setup_demo", messages=20, last_hour_messages=20, verbosity=0)
    run_worker()

    assert InboundEvent.objects.count() > 0
    assert InboundEvent.objects.exclude(response_code=200).count() == 0
    assert Message.objects.count() >= 20
