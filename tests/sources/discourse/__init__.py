"""Discourse: the fake forum API and the extractor's tests."""
