"""A customer's receiver for the forwarding bench and end-to-end run, as its own process.

    python -m bench.receiver PORT SECRET [DOWN_SECONDS]

Listens on 127.0.0.1:PORT (after DOWN_SECONDS: until then connections are refused, as a
receiver that is down), verifies every POST with the `standardwebhooks` package and
answers 204; `GET /stats` answers what it received so far as JSON. asyncio, HTTP/1.1
keep-alive, no framework: the bench measures the sender, not this.
"""

import asyncio
import json
import sys
import time
from collections import defaultdict
from typing import Any

from standardwebhooks import Webhook


class Stats:
    def __init__(self) -> None:
        self.received = 0
        self.unverified = 0
        self.ids: dict[str, set[str]] = defaultdict(set)  # type -> webhook ids
        self.per_message: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.no_dlr_lateness: list[float] = []
        self.first_at = 0.0
        self.last_at = 0.0

    def add(self, payload: dict[str, Any], webhook_id: str) -> None:
        now = time.time()
        self.first_at = self.first_at or now
        self.last_at = now
        kind = payload["type"]
        self.ids[kind].add(webhook_id)
        self.per_message[kind][str(payload["message"]["id"])].add(webhook_id)
        if kind == "message.no_dlr" and webhook_id not in self.per_message["_seen"]["no_dlr"]:
            self.per_message["_seen"]["no_dlr"].add(webhook_id)
            occurred = _epoch(payload["occurred_at"])
            self.no_dlr_lateness.append(round(now - occurred, 3))

    def summary(self) -> dict[str, Any]:
        finals = self.per_message["message.final"]
        return {
            "received": self.received,
            "unverified": self.unverified,
            "distinct": {k: len(v) for k, v in self.ids.items()},
            "messages_with_final": len(finals),
            "messages_with_several_finals": sum(1 for ids in finals.values() if len(ids) > 1),
            "messages_with_no_dlr": len(self.per_message["message.no_dlr"]),
            "no_dlr_lateness": self.no_dlr_lateness,
            "first_at": self.first_at,
            "last_at": self.last_at,
        }


def _epoch(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


async def _serve(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, hook: Webhook, stats: Stats
) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path = lines[0].split(" ")[:2]
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            if method == "GET" and path == "/stats":
                answer = json.dumps(stats.summary()).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                    + str(len(answer)).encode()
                    + b"\r\n\r\n"
                    + answer
                )
            else:
                stats.received += 1
                try:
                    payload = hook.verify(body, headers)
                except Exception:
                    stats.unverified += 1
                else:
                    stats.add(payload, headers["webhook-id"])
                writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(port: int, secret: str, down: float) -> None:
    await asyncio.sleep(down)
    hook, stats = Webhook(secret), Stats()
    server = await asyncio.start_server(
        lambda r, w: _serve(r, w, hook, stats), "127.0.0.1", port, reuse_address=True
    )
    print("listening", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 0))
