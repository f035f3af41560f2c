"""Facebook: the fake Graph API and the extractor's tests."""
