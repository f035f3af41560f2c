"""Benchmarks: each module measures a stage side by side with a baseline and reports the ratio."""
