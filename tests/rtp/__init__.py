"""Tests of okc.rtp."""
