"""Sentiment, intent and language of social posts (NLTK VADER with customer-care rules).

Every module of the package imports NLTK; the package imports it first through ``nltk_loader``,
without ``scipy.stats`` (half of NLTK's import time), whatever order a module's imports are in.
"""

from enrichment import nltk_loader  # noqa: F401  (before any submodule imports nltk)
