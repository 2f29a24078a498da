"""One draining worker process: `python -m bench.drain project|naive LIMIT SECONDS`.

Run as its own process (as a Celery worker would be) so its peak RSS is its own. Stops at
an empty inbox or after SECONDS, whichever is first, so the suite stays bounded in time.
Prints one JSON line: wall-clock start/end (for parallel runs), events, peak RSS, the CPU
seconds this process and its PostgreSQL backend used, the seconds they waited for a core,
and RSS samples over the run.
"""

import json
import os
import resource
import sys
import time


def main() -> None:
    import django

    django.setup()
    mode = sys.argv[1]
    limit, seconds = int(sys.argv[2]), float(sys.argv[3])
    backend = _backend_pid()
    started = time.time()
    cpu_started, backend_started = _own_cpu(), _process_cpu(backend)
    queued_started = _queued(os.getpid()) + _queued(backend)
    deadline = time.monotonic() + seconds
    events = 0
    samples: list[tuple[float, int, float]] = [(0.0, 0, _rss_mb())]
    if mode == "project":
        from webhooks.inbox import inbox_batches

        # inbox_drain's batches, with a deadline between them.
        for done in inbox_batches():
            events += done
            samples.append((round(time.time() - started, 2), events, _rss_mb()))
            if time.monotonic() >= deadline:
                break
    else:
        from .naive import naive_drain

        events = naive_drain(limit=limit, deadline=deadline)
    finished = time.time()
    backend_cpu = _process_cpu(backend) - backend_started
    queued = _queued(os.getpid()) + _queued(backend) - queued_started
    peak_kb = _peak_kb()
    print(
        json.dumps(
            {
                "start": started,
                "end": finished,
                "events": events,
                "peak_kb": peak_kb,
                "cpu_seconds": round(_own_cpu() - cpu_started, 2),
                "backend_cpu_seconds": round(backend_cpu, 2),
                "queued_seconds": round(queued, 2),
                "rss_samples": samples,
            }
        )
    )


def _backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process on this machine (PostgreSQL is local here)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _queued(pid: int) -> float:
    """Seconds a process was runnable but waiting for a core (/proc/PID/schedstat): on a
    machine that other work keeps busy, this is the time the run lost to it."""
    try:
        with open(f"/proc/{pid}/schedstat") as schedstat:
            return int(schedstat.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def _peak_kb() -> int:
    """VmHWM, this process's own peak. Not ru_maxrss: Linux carries that over from the
    parent when a process is spawned (vfork + exec), so a worker started by a suite holding
    100 k generated events in memory reported the suite's ~108 MB as its own peak."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


if __name__ == "__main__":
    main()
