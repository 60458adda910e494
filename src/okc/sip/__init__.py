"""okc.sip: the SIP protocol core (RFC 3261), sans-I/O."""
