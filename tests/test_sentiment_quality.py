"""Quality floors for sentiment on held-out data, and the comparison with plain NLTK VADER.

Floors sit a little under the figures measured when the scorer was frozen (docs/ANALYTICS.md):
the test splits were never used to tune the lexicon, the rules or the band.
"""

from __future__ import annotations

import pytest

from enrichment import sentiment
from enrichment.evaluate import calibrate, datasets, evaluate


@pytest.fixture(scope="module")
def data():
    return datasets()


@pytest.fixture(scope="module")
def results(data):
    return evaluate(data)


def test_held_out_splits_are_disjoint_and_stable(data):
    for name, rows in data.items():
        dev = {e.id for e in rows if e.split == "dev"}
        test = {e.id for e in rows if e.split == "test"}
        assert dev and test and not dev & test, name
    assert len(data["vader"]) == 4200 and len(data["twcs"]) == 93 and len(data["care"]) >= 500
    care_test = sum(e.split == "test" for e in data["care"])
    assert 0.5 <= care_test / len(data["care"]) <= 0.7


def test_customer_care_test_split(results):
    r = results["care"]
    ours, plain, plain_best = r["sentiment"], r["plain_vader"], r["plain_vader_calibrated"]
    assert ours["macro_f1"] >= 0.78
    assert ours["macro_f1"] >= max(plain["macro_f1"], plain_best["macro_f1"]) + 0.15
    assert min(c["f1"] for c in ours["per_class"].values()) >= 0.72


def test_real_customer_service_tweets_test_half(results):
    r = results["twcs"]
    assert r["sentiment"]["macro_f1"] >= 0.65
    assert r["sentiment"]["macro_f1"] >= r["plain_vader"]["macro_f1"] + 0.3
    assert r["sentiment"]["per_class"]["negative"]["f1"] >= 0.78


def test_general_tweets_do_not_get_worse_than_plain_vader(results):
    r = results["vader"]
    assert r["sentiment"]["macro_f1"] >= 0.70
    assert r["sentiment"]["macro_f1"] >= r["plain_vader"]["macro_f1"]


def test_the_shipped_band_is_the_calibrated_one(data):
    band = calibrate(data)
    assert (band["negative_from"], band["positive_from"]) == (sentiment.NEGATIVE_FROM, sentiment.POSITIVE_FROM)
    assert band["dev_macro_f1"] > band["plain_vader_dev_macro_f1"]
