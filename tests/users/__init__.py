"""Tests of the users CSV import."""
