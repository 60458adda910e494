"""Tests of okc.storage."""
