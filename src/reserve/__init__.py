"""reserve: restaurant reservations with fast, never double-booking table allocation."""

__version__ = "0.1.0"
