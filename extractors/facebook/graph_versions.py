"""Facebook Graph API versions: when each was released and until when it is available.

Graph keeps a version at least two years; once it is no longer usable, a call to it is served by
the oldest usable version instead, silently (Platform Versioning,
https://developers.facebook.com/docs/apps/versions). The response's ``facebook-api-version``
header names the version that answered.

The dates are the table "Graph API: Version, Release Date, Expiration Date" of
https://developers.facebook.com/docs/graph-api/changelog/versions as read on 2026-12-03; an
expiration date is the first day the version is no longer available. Add a row when Meta
releases a version (and its predecessor's expiration date when Meta sets it).
"""

from __future__ import annotations

import re
from datetime import date

CHECKED_ON = date(2026, 12, 3)
CHANGELOG_URL = "https://developers.facebook.com/docs/graph-api/changelog/versions"

# version: (released, available until: None while Meta says "TBD")
VERSIONS: dict[str, tuple[date, date | None]] = {
    "v26.0": (date(2026, 7, 29), None),
    "v25.0": (date(2026, 2, 18), date(2028, 7, 29)),
    "v24.0": (date(2025, 10, 8), date(2028, 2, 18)),
    "v23.0": (date(2025, 5, 29), date(2027, 10, 8)),
    "v22.0": (date(2025, 1, 21), date(2027, 5, 20)),
    "v21.0": (date(2024, 10, 2), date(2027, 1, 21)),
    "v20.0": (date(2024, 5, 21), date(2026, 9, 24)),
    "v19.0": (date(2024, 1, 23), date(2026, 5, 21)),
    "v18.0": (date(2023, 9, 12), date(2026, 1, 26)),
    "v17.0": (date(2023, 5, 23), date(2025, 9, 12)),
    "v16.0": (date(2023, 2, 2), date(2025, 5, 14)),
    "v15.0": (date(2022, 9, 15), date(2024, 11, 20)),
    "v14.0": (date(2022, 5, 25), date(2024, 9, 17)),
    "v13.0": (date(2022, 2, 8), date(2024, 5, 28)),
    "v12.0": (date(2021, 9, 14), date(2024, 2, 8)),
}

_VERSION = re.compile(r"^v(\d+)\.(\d+)$")


def is_version(text: str) -> bool:
    return bool(_VERSION.match(text))


def key(version: str) -> tuple[int, int]:
    match = _VERSION.match(version)
    if not match:
        raise ValueError(f"not a Graph API version: {version!r} (expected like v24.0)")
    return int(match.group(1)), int(match.group(2))


def oldest_supported(on: date) -> str:
    """The oldest version still available on ``on``: what a retired version is served by."""
    available = [v for v, (released, until) in VERSIONS.items() if released <= on and (until is None or on < until)]
    return min(available or VERSIONS, key=key)


def retired(version: str, on: date) -> bool:
    """True when ``version`` is older than every version available on ``on`` (a version newer than
    the table is not judged: the table may simply be older than it)."""
    return key(version) < key(oldest_supported(on))


def retirement_notice(version: str, on: date) -> str | None:
    """What to tell an operator whose pinned ``version`` is retired on ``on``, else None."""
    if not retired(version, on):
        return None
    oldest = oldest_supported(on)
    until = VERSIONS.get(version, (None, None))[1]
    since = f"since {until.isoformat()}" if until else f"(older than {min(VERSIONS, key=key)})"
    return (f"Graph API {version} is retired {since}: the API silently answers with {oldest}, the oldest version "
            f"still available; set api_version to {oldest} or newer (version dates as of {CHECKED_ON.isoformat()}: "
            f"{CHANGELOG_URL})")
