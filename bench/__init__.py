"""Benchmarks of the table allocator: how many guests it seats, and how fast it decides.

Each module runs as ``uv run python -m bench.<name>``, prints a table and writes JSON to
``bench/results/<name>.json``. See ``bench/README.md``.
"""
