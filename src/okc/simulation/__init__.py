"""okc.simulation: seeded, sans-I/O discrete-event simulation that drives the real okc engines.

`events` holds the virtual-time loop, `traffic` the arrival and duration generators, `stats` the
replication estimates, and `mmn` the M/M/N(+M) call-center scenario run through the ACD engine.
"""
