"""One draining worker process: `python -m bench.drain project|naive LIMIT SECONDS`.

Run as its own process (as a Celery worker would be) so its peak RSS is its own. Stops at
an empty inbox or after SECONDS, whichever is first, so the suite stays bounded in time.
Prints one JSON line: wall-clock start/end (for parallel runs), events, peak RSS.
"""

import json
import resource
import sys
import time


def main() -> None:
    import django

    django.setup()
    mode = sys.argv[1]
    limit, seconds = int(sys.argv[2]), float(sys.argv[3])
    started = time.time()
    deadline = time.monotonic() + seconds
    events = 0
    if mode == "project":
        from django.conf import settings

        from webhooks.services import inbox_drain

        # inbox_drain one batch at a time: the same work, with a deadline between batches.
        while time.monotonic() < deadline:
            done = inbox_drain(max_batches=1)
            events += done
            if done < settings.INBOX_BATCH_SIZE:
                break
    else:
        from .naive import naive_drain

        events = naive_drain(limit=limit, deadline=deadline)
    finished = time.time()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"start": started, "end": finished, "events": events, "peak_kb": peak_kb}))


if __name__ == "__main__":
    main()
