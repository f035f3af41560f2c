"""Import NLTK without ``scipy.stats``: half of ``social360 score``'s start-up.

``import nltk`` imports ``scipy.stats`` (about 0.6 s, more than half of NLTK's own import) only
for the Fisher exact test of ``nltk.metrics.association``, which NLTK treats as optional (it
catches the ImportError) and Social360 never uses. Import this module before any ``nltk``
import: when nothing in the process has imported NLTK or ``scipy.stats`` yet, NLTK is imported
with ``scipy.stats`` hidden; ``scipy.stats`` stays importable afterwards for whoever needs it.
"""

from __future__ import annotations

import importlib.abc
import sys


class _HideScipyStats(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "scipy.stats" or name.startswith("scipy.stats."):
            raise ImportError(f"{name} hidden while NLTK is imported")
        return None


def import_nltk() -> None:
    if "nltk" in sys.modules or "scipy.stats" in sys.modules:
        return
    hider = _HideScipyStats()
    sys.meta_path.insert(0, hider)
    try:
        import nltk  # noqa: F401
    finally:
        sys.meta_path.remove(hider)


import_nltk()
