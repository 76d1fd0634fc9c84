"""Decisions that need a solver: the booking limits (a linear program over the demand still
expected), the repack of a day's pooled tables when moving one or two bookings is not
enough, and the offline optimum of a day's requests (integer programs), all with HiGHS.

Like the domain, no I/O: plain data in, plain data out.
"""
