"""X: the fake X API v2 and the extractor's tests."""
