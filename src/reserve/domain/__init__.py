"""Pure domain logic: floors, timing, allocation and the booking lifecycle.

Nothing here imports anything but the standard library (an import-linter contract in
``pyproject.toml`` keeps it so), which keeps it fast to test and free of I/O.
"""
