"""What a page's URL carries: the interview's answers or a profile, as compact JSON in
base64url (no server-side storage), bounded in size and checked when read back."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from runplan.errors import Problem, UserError

MAX_STATE_CHARS = 12_000  # a profile with parts is about 2,000; a URL stays under 16 KB


def encode(data: Any) -> str:
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(token: str, field: str) -> Any:
    """The data in a link's `field`; one message (never the link's content) when it is
    too long, not base64url or not JSON."""
    if len(token) > MAX_STATE_CHARS:
        raise UserError(Problem("link", None, field, f"is longer than the limit of "
                                f"{MAX_STATE_CHARS:,} characters"))
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        return json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError):  # UnicodeDecodeError and JSONDecodeError too
        raise UserError(Problem("link", None, field, "is not a runplan link's data "
                                "(base64url JSON); start again from the home page")) from None
