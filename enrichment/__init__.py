"""Enrichment: sentiment and intent of every social post, once per post version and scorer version."""
