"""okc.rtp: RTP/RTCP, G.711, DTMF, jitter buffer, player and recorder, sans-I/O."""
