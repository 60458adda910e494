"""Tests of the okc command line."""
