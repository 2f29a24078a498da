"""Static files in production: copies named with a hash of their content (settings.STORAGES),
which WhiteNoise serves with a ten-year Cache-Control.

Not WhiteNoise's compressed variant: it gzips every file again at each `collectstatic`, five
seconds of CPU at every start of `make serve`; the TLS-terminating proxy compresses instead.

Django's manifest storage also rewrites each `sourceMappingURL` comment to the map's hashed
name, and refuses to collect when the map is missing. Vendored bundles (Chart.js) name maps
that are not vendored, and only a browser's developer tools fetch maps, so those comments
are left as they are; every other reference (CSS `url()`, `@import`) is still rewritten.
"""

from typing import Any

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage


def _without_source_maps(patterns: Any) -> tuple[Any, ...]:
    def keeps(pattern: Any) -> bool:
        regex = pattern if isinstance(pattern, str) else pattern[0]
        return "sourceMappingURL" not in regex

    return tuple((glob, tuple(p for p in group if keeps(p))) for glob, group in patterns)


class HashedStaticStorage(ManifestStaticFilesStorage):
    patterns = _without_source_maps(ManifestStaticFilesStorage.patterns)
