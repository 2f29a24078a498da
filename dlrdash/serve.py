"""`make serve` (`python -m dlrdash.serve`): the production web server, configured by environment.

granian (a Rust HTTP server) runs the WSGI application: one process per core, sixteen
threads each. Chosen by measurement on the 2-core machine (bench/README.md, "Choosing the
server"; re-measure with `BENCH_PHASES=server make bench`): under the same webhook load it
served more requests than gunicorn's best layout, because its HTTP parsing and connection
handling run in Rust outside the GIL. A webhook waits for its row's commit (group commit,
webhooks/inbox_writer.py): the more requests a process has in flight, the more rows share
one INSERT and fsync, hence many threads per process (granian warns that 16 threads is many
for the cores: it is meant). The fault tests (tests/faults) run the application through
this module.

A worker past WEB_MAX_RSS_MB, or one that died, is replaced. On Linux ≥ 5.14 set
`sysctl net.ipv4.tcp_migrate_req=1` (granian says so at start) so connections queued on a
worker being replaced move to another instead of being reset; providers retry a reset
request, so nothing is lost either way, but it saves them a retry.

Settings (environment; a bad value stops the start and names the variable):
- WEB_BIND: host:port to listen on (127.0.0.1:8000; the TLS-terminating proxy talks to it);
- WEB_CONCURRENCY: processes (the number of cores);
- WEB_THREADS: threads per process (16);
- WEB_BACKPRESSURE: requests a process accepts at once before new ones wait in the
  socket backlog (4 × threads);
- WEB_MAX_RSS_MB: a process above this resident size is replaced after its requests
  finish (400; a slow leak can never grow a worker without bound);
- WEB_ACCESS_LOG=1: an access line per request, path without the query string (a Wavix
  token in ?token= never reaches a log);
- WEB_LOG_LEVEL: granian's own log level (warning);
- WEB_COLLECTSTATIC=0: skip `collectstatic` at start (below).

Before the server starts, `collectstatic` gathers the static files into STATIC_ROOT, named
with a hash of their content, for WhiteNoise to serve (settings.STORAGES): pages then never
name a file the deployment lacks. Files already collected are not copied again. Skip it when
an image collected them at build time or STATIC_ROOT is read-only.
"""

import os
import sys

from django.core.exceptions import ImproperlyConfigured


def _int(name: str, default: int, *, minimum: int = 1) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}")
    return number


def _bind() -> tuple[str, str]:
    value = os.environ.get("WEB_BIND", "").strip() or "127.0.0.1:8000"
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ImproperlyConfigured(f"WEB_BIND must be host:port, got {value!r}")
    return host.strip("[]"), port


def server_argv() -> list[str]:
    """The granian command line the environment asks for."""
    host, port = _bind()
    threads = _int("WEB_THREADS", 16)
    argv = [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        port,
        "--workers",
        str(_int("WEB_CONCURRENCY", os.cpu_count() or 1)),
        "--blocking-threads",
        str(threads),
        "--backpressure",
        str(_int("WEB_BACKPRESSURE", 4 * threads)),
        "--no-ws",
        "--respawn-failed-workers",
        "--workers-max-rss",
        str(_int("WEB_MAX_RSS_MB", 400)),
        "--log-level",
        os.environ.get("WEB_LOG_LEVEL", "").strip() or "warning",
    ]
    if os.environ.get("WEB_ACCESS_LOG", "").strip().lower() in ("1", "true", "yes", "on"):
        # granian's %(path)s is the path alone, without the query string.
        argv += [
            "--access-log",
            "--access-log-fmt",
            '%(addr)s [%(time)s] "%(method)s %(path)s" %(status)d %(dt_ms).1fms',
        ]
    return [*argv, "dlrdash.wsgi:application"]


def static_collect() -> None:
    """`manage.py collectstatic --noinput`, in this process before it becomes the server."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dlrdash.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("collectstatic", interactive=False, verbosity=0)


def main() -> None:
    try:
        argv = server_argv()
        if os.environ.get("WEB_COLLECTSTATIC", "").strip().lower() not in ("0", "false", "no"):
            static_collect()
    except ImproperlyConfigured as exc:
        sys.exit(f"dlrdash.serve: {exc}")
    except OSError as exc:  # STATIC_ROOT not writable, disk full
        sys.exit(f"dlrdash.serve: collectstatic failed: {exc}")
    os.execv(argv[0], argv)  # noqa: S606 (our own interpreter, arguments built above)


if __name__ == "__main__":
    main()
