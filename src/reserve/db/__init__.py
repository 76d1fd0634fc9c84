"""PostgreSQL: the embedded server, the pool and the unit of work (``database``), and the
repositories that turn rows into domain values and back. All SQL lives here."""
