"""One forwarding worker process for the bench: `python -m bench.forwarding_send MODE SECONDS`.

MODE `drain`: send batches back to back until nothing is due or SECONDS pass, sampling RSS
after every batch. MODE `send`: the same, but waiting for more when nothing is due, until
SECONDS pass (a worker). MODE `scan`: what beat's tick does, the no-DLR scan every
FORWARDING_TICK_SECONDS. Prints one JSON line: start/end, deliveries attempted (or
notifications fired), peak RSS, RSS samples.
"""

import json
import sys
import time

from .drain import _peak_kb, _rss_mb


def main() -> None:
    import django

    django.setup()
    from django.conf import settings

    from forwarding.deadlines import no_dlr_scan
    from forwarding.drain import deliveries_send_batch

    mode, seconds = sys.argv[1], float(sys.argv[2])
    started = time.time()
    deadline = time.monotonic() + seconds
    attempted = 0
    samples: list[tuple[float, int, float]] = [(0.0, 0, _rss_mb())]
    while time.monotonic() < deadline:
        if mode in ("drain", "send"):
            done, claimed = deliveries_send_batch()
            attempted += done
            samples.append((round(time.time() - started, 2), attempted, _rss_mb()))
            if not claimed and mode == "drain":
                break
            if not claimed:
                time.sleep(0.05)
        else:
            began = time.monotonic()
            attempted += no_dlr_scan()
            time.sleep(max(0.0, settings.FORWARDING_TICK_SECONDS - (time.monotonic() - began)))
    print(
        json.dumps(
            {
                "start": started,
                "end": time.time(),
                "attempted": attempted,
                "peak_kb": _peak_kb(),
                "rss_samples": samples,
            }
        )
    )


if __name__ == "__main__":
    main()
