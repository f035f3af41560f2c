"""Quality floors for intent on held-out data, against the 'negative words = complaint' baseline."""

from __future__ import annotations

import pytest

from enrichment.evaluate import evaluate


@pytest.fixture(scope="module")
def results():
    return evaluate()


def test_customer_care_test_split(results):
    ours = results["care"]["intent"]
    naive = results["care"]["intent_negative_is_complaint"]
    assert ours["macro_f1"] >= 0.76
    assert ours["macro_f1"] >= naive["macro_f1"] + 0.12
    assert ours["per_class"]["complaint"]["f1"] >= 0.75
    assert ours["per_class"]["complaint"]["f1"] >= naive["per_class"]["complaint"]["f1"] + 0.2
    assert ours["per_class"]["question"]["f1"] >= 0.85


def test_real_customer_service_tweets_test_half(results):
    ours = results["twcs"]["intent"]
    naive = results["twcs"]["intent_negative_is_complaint"]
    assert ours["macro_f1"] >= 0.65
    assert ours["macro_f1"] >= naive["macro_f1"] + 0.15
    assert ours["per_class"]["complaint"]["f1"] >= 0.75


def test_every_intent_is_predicted(results):
    for name in ("care", "twcs"):
        predicted = [sum(col) for col in zip(*results[name]["intent"]["confusion"])]
        assert all(predicted), (name, predicted)
