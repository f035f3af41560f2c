"""Tools for developing Social360 (not imported by the product)."""
