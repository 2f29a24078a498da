"""`make serve`: the production server's settings come from the environment, checked."""

import subprocess
import sys

import pytest

from dlrdash.serve import server_argv


def _option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_the_environment_sets_the_layout_and_the_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_BIND", "10.0.0.5:9000")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("WEB_THREADS", "8")
    argv = server_argv()
    assert argv[-1] == "dlrdash.wsgi:application"
    assert (_option(argv, "--host"), _option(argv, "--port")) == ("10.0.0.5", "9000")
    assert (_option(argv, "--workers"), _option(argv, "--blocking-threads")) == ("3", "8")
    assert "--access-log" not in argv


@pytest.mark.parametrize(
    ("name", "value"),
    [("WEB_CONCURRENCY", "two"), ("WEB_THREADS", "0"), ("WEB_BIND", "localhost")],
)
def test_a_bad_setting_stops_the_start_and_names_the_variable(name: str, value: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dlrdash.serve"],
        env={"PATH": "/usr/bin:/bin", name: value},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert name in done.stderr
