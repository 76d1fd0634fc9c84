"""slot-fill, the load tool: fill a window of slots with booking requests over HTTP and
report what happened (DESIGN section 8).

    plan      which requests: one batch per slot, party sizes drawn from a seeded generator
    client    the HTTP conversation: the venue, clearing the day, one booking attempt
    log       the JSON-lines log, one record per request, and where a resumed run continues
    metrics   outcome counts, latency percentiles, covers, seat waste, per slot and level
    report    the live progress bar and the summary table
    engine    runs the levels in turn and writes the log and ``slot-fill-metrics.json``

The engine speaks only HTTP; the command line (``reserve.cli.slotfill``) hands it the
integrity check, which reads the database.
"""
