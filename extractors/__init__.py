"""Extractors: one module per source, over shared landing, cursor and HTTP machinery."""
