"""One draining worker process: `python -m bench.drain project|naive [limit]`.

Run as its own process (as a Celery worker would be) so its peak RSS is its own. Prints
one JSON line: wall-clock start/end (for parallel runs), events, reports, peak RSS.
"""

import json
import resource
import sys
import time


def main() -> None:
    import django

    django.setup()
    mode = sys.argv[1]
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    started = time.time()
    if mode == "project":
        from webhooks.services import inbox_drain

        events = inbox_drain(max_batches=1_000_000)
    else:
        from .naive import naive_drain

        events = naive_drain(limit=limit)
    finished = time.time()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"start": started, "end": finished, "events": events, "peak_kb": peak_kb}))


if __name__ == "__main__":
    main()
