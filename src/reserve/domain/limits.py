"""The limits of what a venue may be: the schema's CHECK constraints, as the venue
document's reader checks them first, so that an import is refused with every problem
named instead of failing at the database. And how often a hold may be extended, which
the schema bounds too (``holds_extensions``).

``tests/integration/test_schema_limits.py`` walks the schema's CHECK constraints and
tries each limit here against the database, so the two cannot drift apart.
"""

from __future__ import annotations

SLUG_LENGTH = 64
RESTAURANT_NAME_LENGTH = 200
SLOT_INTERVAL_MINUTES = (5, 240)
HOLD_TTL_SECONDS_MIN = 10
BUFFER_MINUTES = (0, 720)  # so that no window lasts more than 36 hours
SERVICE_NAME_LENGTH = 40
TURN_MINUTES = (1, 1440)
CLOSURE_REASON_LENGTH = 200
ZONE_KEY_LENGTH = 40
ZONE_NAME_LENGTH = 80
TABLE_LABEL_LENGTH = 32
TABLE_CAPACITY = (1, 1000)
PARTY_SIZE = (1, 1000)
SEAT_EARLY_MINUTES = (0, 1440)  # seating from up to a day before the start
NO_SHOW_GRACE_MINUTES = (0, 1440)  # a no-show from up to a day after it

# A guest who needs more time extends their hold this many times at most (WCAG 2.2.1 asks
# for at least ten), each time to the venue's full hold_ttl_seconds from then.
MAX_HOLD_EXTENSIONS = 10
