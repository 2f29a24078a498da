"""Stored events for people: every page and API view must render whatever was stored.

A body is kept exactly as the provider sent it, so it may hold anything: a lone surrogate
(valid JSON, `"\\ud800"`) that no response can encode, or JSON nested deeper than a
recursive walk can go. These wrap the renderers (redaction, pretty-printing) with a
fallback instead of letting one event turn a page or a list into a 500.
"""

from collections.abc import Callable


def text_displayable(text: str) -> str:
    """Text every response can encode: a lone surrogate is shown as its escape, the way
    the provider wrote it in JSON."""
    if text.isascii():
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def body_rendered(render: Callable[[], str], body: bytes, *, limit: int) -> str:
    """What `render()` makes of the body or, when it cannot walk it (nested too deep), the
    body's first `limit` bytes as text; either way encodable."""
    try:
        text = render()
    except RecursionError:
        text = bytes(body[:limit]).decode("utf-8", "replace")
    return text_displayable(text)
