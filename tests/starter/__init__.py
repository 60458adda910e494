"""Tests of the starter configuration."""
