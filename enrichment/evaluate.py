"""Measure sentiment and intent against labelled data, side by side with plain NLTK VADER.

    python -m enrichment.evaluate              # the report in docs/ANALYTICS.md (markdown)
    python -m enrichment.evaluate --calibrate  # search the neutral band on the dev splits

Data sets (see evaluation/data/README.md):

- ``vader``: the 4,200 tweets rated by humans in Hutto & Gilbert's VADER paper (MIT), read from
  ``evaluation/data/vader_tweets_ground_truth.tsv``. Gold label from the mean rating (-4..4):
  positive at >= 0.5, negative at <= -0.5, neutral between. Split 50/50 by a hash of the id.
- ``care``: 537 customer-care tweets written and labelled by the project
  (``evaluation/data/care_tweets.tsv``, 40 % dev / 60 % test by a hash of the id).
- ``twcs``: the 93 tweets of ``evaluation/data/twcs_sample.csv`` (real customer-service tweets,
  CC BY-NC-SA 4.0), labelled by the project (``evaluation/data/twcs_sample_labels.tsv``), split
  50/50 by a hash of the id; never used for calibration (its dev half was read for errors).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from enrichment.lexicon import ensure_nltk_data
from enrichment.scorer import Scorer
from enrichment.sentiment import VADER_BAND, SentimentModel

EVALUATION_DATA = Path(__file__).resolve().parents[1] / "evaluation" / "data"
SENTIMENTS = ("negative", "neutral", "positive")
INTENTS = ("complaint", "question", "praise", "other")
GOLD_BAND = 0.5  # |mean human rating| below this is neutral


@dataclass(frozen=True)
class Example:
    id: str
    split: str
    text: str
    sentiment: str
    intent: str | None = None


def vader_tweets(path: Path | None = None) -> list[Example]:
    path = path or EVALUATION_DATA / "vader_tweets_ground_truth.tsv"
    examples = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            post_id, mean, text = line.rstrip("\n").split("\t", 2)
            mean = float(mean)
            gold = "positive" if mean >= GOLD_BAND else "negative" if mean <= -GOLD_BAND else "neutral"
            examples.append(Example(post_id, _split(post_id, test_share=5), text, gold))
    return examples


def care_tweets(path: Path = EVALUATION_DATA / "care_tweets.tsv") -> list[Example]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [Example(r["id"], r["split"], r["text"], r["sentiment"], r["intent"]) for r in rows]


def twcs_tweets(path: Path | None = None, labels: Path = EVALUATION_DATA / "twcs_sample_labels.tsv") -> list[Example]:
    path = path or EVALUATION_DATA / "twcs_sample.csv"
    with open(path, encoding="utf-8", newline="") as f:
        text_of = {r["tweet_id"]: r["text"] for r in csv.DictReader(f)}
    with open(labels, encoding="utf-8", newline="") as f:
        rows = csv.DictReader(f, delimiter="\t")
        return [Example(r["tweet_id"], _split(r["tweet_id"], test_share=5), text_of[r["tweet_id"]], r["sentiment"],
                        r["intent"]) for r in rows]


def _split(key: str, test_share: int) -> str:
    """'test' for test_share tenths of the keys, by a hash (stable, not chosen by anyone)."""
    return "test" if int(hashlib.sha256(key.encode()).hexdigest(), 16) % 10 < test_share else "dev"


def datasets() -> dict[str, list[Example]]:
    return {"vader": vader_tweets(), "care": care_tweets(), "twcs": twcs_tweets()}


# -- metrics ---------------------------------------------------------------------------------------


def confusion(gold: list[str], pred: list[str], labels) -> list[list[int]]:
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, pred):
        matrix[index[g]][index[p]] += 1
    return matrix


def report(gold: list[str], pred: list[str], labels) -> dict:
    """Per-class precision/recall/F1, macro-F1, accuracy and the confusion matrix (rows = gold)."""
    matrix = confusion(gold, pred, labels)
    per_class = {}
    for i, label in enumerate(labels):
        tp = matrix[i][i]
        predicted = sum(row[i] for row in matrix)
        actual = sum(matrix[i])
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1, "support": actual}
    present = [label for label in labels if per_class[label]["support"]]
    return {
        "n": len(gold),
        "accuracy": sum(g == p for g, p in zip(gold, pred)) / len(gold) if gold else 0.0,
        "macro_f1": sum(per_class[label]["f1"] for label in present) / len(present) if present else 0.0,
        "per_class": per_class,
        "confusion": matrix,
        "labels": list(labels),
    }


# -- scorers under test ----------------------------------------------------------------------------


class PlainVader:
    """NLTK's SentimentIntensityAnalyzer as shipped: compound, labelled with a symmetric band."""

    def __init__(self, band: float = VADER_BAND) -> None:
        ensure_nltk_data()
        from nltk.sentiment.vader import SentimentIntensityAnalyzer

        self._analyzer = SentimentIntensityAnalyzer()
        self.band = band

    def compound(self, text: str) -> float:
        return self._analyzer.polarity_scores(text)["compound"]

    def label(self, compound: float, band: float | None = None) -> str:
        band = self.band if band is None else band
        return "positive" if compound >= band else "negative" if compound <= -band else "neutral"


def naive_intent(text: str, compound: float) -> str:
    """The baseline that equates complaints with negative words: plain VADER negative -> complaint,
    else "?" -> question, positive -> praise, else other."""
    if compound <= -VADER_BAND:
        return "complaint"
    if "?" in text:
        return "question"
    return "praise" if compound >= VADER_BAND else "other"


def _band_label(score: float, negative_from: float, positive_from: float) -> str:
    return "positive" if score >= positive_from else "negative" if score <= negative_from else "neutral"


def calibrate(data: dict[str, list[Example]] | None = None) -> dict:
    """Neutral band maximising the mean macro-F1 of the dev splits of `vader` and `care`
    (each data set weighs the same, so neither one's quirks decide the band). Also the best
    symmetric band for plain VADER on the same dev data, for a like-for-like comparison."""
    data = data or datasets()
    model = SentimentModel()
    plain = PlainVader()
    dev = {name: [e for e in data[name] if e.split == "dev"] for name in ("vader", "care")}
    ours = {name: [model.analyse(e.text).score for e in rows] for name, rows in dev.items()}
    theirs = {name: [plain.compound(e.text) for e in rows] for name, rows in dev.items()}
    grid = [round(x * 0.05, 2) for x in range(0, 13)]

    def mean_f1(scores, negative_from, positive_from):
        return sum(report([e.sentiment for e in dev[name]],
                          [_band_label(s, negative_from, positive_from) for s in scores[name]], SENTIMENTS)["macro_f1"]
                   for name in dev) / len(dev)

    best = max(((mean_f1(ours, -neg, pos), -neg, pos) for neg in grid for pos in grid if neg or pos),
               key=lambda r: (round(r[0], 4), -abs(r[1]) - abs(r[2])))
    plain_best = max(((mean_f1(theirs, -b, b), b) for b in grid if b), key=lambda r: (round(r[0], 4), -r[1]))
    return {"negative_from": best[1], "positive_from": best[2], "dev_macro_f1": round(best[0], 4),
            "plain_vader_band": plain_best[1], "plain_vader_dev_macro_f1": round(plain_best[0], 4)}


def evaluate(data: dict[str, list[Example]] | None = None, *, splits=("test",)) -> dict:
    """Sentiment (ours, plain VADER at ±0.05, plain VADER at its best dev band) and intent, per data set."""
    data = data or datasets()
    scorer = Scorer(cache_size=0)
    plain = PlainVader()
    plain_band = calibrate(data)["plain_vader_band"]
    results = {}
    for name, examples in data.items():
        rows = [e for e in examples if e.split in splits]
        scores = [scorer.score(e.text) for e in rows]
        compounds = [plain.compound(e.text) for e in rows]
        gold = [e.sentiment for e in rows]
        result = {
            "sentiment": report(gold, [s.sentiment_label for s in scores], SENTIMENTS),
            "plain_vader": report(gold, [plain.label(c) for c in compounds], SENTIMENTS),
            "plain_vader_calibrated": report(gold, [plain.label(c, plain_band) for c in compounds], SENTIMENTS),
        }
        if rows and rows[0].intent:
            gold_intents = [e.intent for e in rows]
            result["intent"] = report(gold_intents, [s.intent for s in scores], INTENTS)
            result["intent_negative_is_complaint"] = report(
                gold_intents, [naive_intent(e.text, c) for e, c in zip(rows, compounds)], INTENTS)
        results[name] = result
    results["plain_vader_band"] = plain_band
    results["splits"] = " + ".join(splits) + (" split" if len(splits) == 1 else " splits")
    return results


# -- output ----------------------------------------------------------------------------------------


def _table(result: dict) -> str:
    labels = result["labels"]
    lines = ["| class | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for label in labels:
        c = result["per_class"][label]
        lines.append(f"| {label} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | {c['support']} |")
    lines.append(f"| **macro** | | | **{result['macro_f1']:.3f}** | {result['n']} (accuracy {result['accuracy']:.3f}) |")
    return "\n".join(lines)


def _matrix(result: dict) -> str:
    labels = result["labels"]
    lines = ["| gold \\ predicted | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
    for label, row in zip(labels, result["confusion"]):
        lines.append(f"| {label} | " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines)


TITLES = {"vader": "VADER human-rated tweets", "care": "Project customer-care tweets",
          "twcs": "twcs sample: real customer-service tweets (labels by the project)"}


def markdown(results: dict) -> str:
    out = []
    for name in ("vader", "care", "twcs"):
        r = results[name]
        out.append(f"### {TITLES[name]}: {results['splits']}, {r['sentiment']['n']} posts\n")
        out.append("| scorer | macro-F1 | accuracy | F1 negative | F1 neutral | F1 positive |")
        out.append("|---|---|---|---|---|---|")
        for key, title in (("sentiment", "Social360 (care rules, calibrated band)"),
                           ("plain_vader", "plain NLTK VADER, band ±0.05"),
                           ("plain_vader_calibrated", f"plain NLTK VADER, band ±{results['plain_vader_band']} "
                                                      "(best on the same dev data)")):
            s = r[key]
            f1 = [s["per_class"][c]["f1"] for c in SENTIMENTS]
            out.append(f"| {title} | {s['macro_f1']:.3f} | {s['accuracy']:.3f} | "
                       + " | ".join(f"{v:.3f}" for v in f1) + " |")
        out.append("\nSentiment, Social360:\n")
        out.append(_table(r["sentiment"]))
        out.append("\n" + _matrix(r["sentiment"]))
        out.append("\nSentiment, plain VADER (±0.05):\n")
        out.append(_matrix(r["plain_vader"]))
        if "intent" in r:
            naive = r["intent_negative_is_complaint"]
            out.append(f"\nIntent, Social360 (baseline 'negative words = complaint' on plain VADER: macro-F1 "
                       f"{naive['macro_f1']:.3f}, complaint F1 {naive['per_class']['complaint']['f1']:.3f}):\n")
            out.append(_table(r["intent"]))
            out.append("\n" + _matrix(r["intent"]))
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calibrate", action="store_true", help="search the neutral band on the dev splits")
    parser.add_argument("--split", choices=("test", "dev", "all"), default="test")
    parser.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    args = parser.parse_args(argv)
    if args.calibrate:
        print(json.dumps(calibrate(), indent=2))
        return 0
    splits = ("dev", "test") if args.split == "all" else (args.split,)
    results = evaluate(splits=splits)
    print(json.dumps(results, indent=2) if args.json else markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
