"""One canonical serialisation for everything netretain hashes: definitions today, the revenue log
next. Sorted keys, no spaces, UTF-8 (as sqlite-utils' `hash_record`), so equal content hashes equal.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> str:
    """The canonical JSON text of a JSON-ready value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(value: Any) -> str:
    """The sha256 of a value's canonical JSON, as hex."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()
