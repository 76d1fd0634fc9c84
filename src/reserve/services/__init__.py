"""Use cases, one module each, over plain arguments and domain results.

Every use case gets its unit of work the same way: from the database it is given
(``database.run(work)``; for the booking use cases, ``Context.database``). They raise the
domain's errors and never speak HTTP, so the API and the pages call them alike.

- ``availability``: the day's offered times and whether each can be booked now
- ``holds``: placing and releasing holds
- ``booking``: booking, one-shot or confirming a hold, once per idempotency key
- ``changes``: reading, moving, resizing, cancelling a booking; its status
- ``floor``: the day's bookings, the timeline, reassigning tables, blocks
- ``pending``: the background allocator
- ``management``: a venue's flags and document, as its staff and admins change them
- ``seating``: the steps shared by everything that takes tables
- ``authorisation``: who may see and do what
- ``context``: what the booking use cases are given (database, clock, day lock...)
- ``venue_state``: the venues this process caches, with their floors precomputed
- ``keys``, ``flags``, ``venues``, ``prune``, ``integrity``, ``environment``: operators'
  use cases (the command line), some also used by the server
"""
