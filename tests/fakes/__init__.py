"""Real local HTTP servers that fake third-party social APIs for the extractor tests."""
