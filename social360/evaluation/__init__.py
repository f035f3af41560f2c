"""Measurements of the warehouse's derived data against ground truth."""
