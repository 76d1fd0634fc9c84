"""slot-fill, the load tool: fill a window of slots with booking requests over HTTP and
report what happened (DESIGN section 8).

    plan      which requests: one batch per slot, party sizes drawn from a seeded generator
    client    the HTTP conversation: the venue, clearing the day, one booking attempt
    log       the JSON-lines log, one record per request, and where a resumed run continues
    metrics   outcome counts, latency percentiles, covers, seat waste, per slot and level
    waste     seat-waste anomalies: half-empty tables, and better fits the server left free
    lock      the wait for the day's lock, from the server's /metrics before and after a level
    compare   what a comparison of levels concludes, in sentences made from its figures
    report    the live progress bar and the summary
    chart     the summary's pictures: the seats at each slot, and the submit times
    engine    runs the levels in turn and writes the log and ``slot-fill-metrics.json``

The engine speaks only HTTP; the command line (``reserve.cli.slotfill``) hands it the
integrity check, which reads the database.
"""
