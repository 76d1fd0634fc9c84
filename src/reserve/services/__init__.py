"""Use cases: each takes what it needs (a connection or the database) and does one job."""
