"""Delegates paint and size items; they never fetch data."""
