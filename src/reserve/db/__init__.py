"""PostgreSQL: the embedded server, connections and pools, the unit of work, repositories."""
