"""Held-out evaluation: accuracy at 2, 4 and 6 digits, model and plain nearest-neighbour retrieval side
by side, on the clean held-out references and on a noisy, partly translated variant of them.

The noisy variant turns each held-out description into a marketplace-style title: an invented brand
name, selling phrases, a colour and a size or quantity around it, in a random order and case, and
one in five translated word by word into Chinese, Spanish or French with the glossaries read
backwards. The brands and many of the selling phrases here are not on the classifier's own lists
(``lexicon.py``), so that the variant measures how the model copes with noise it has not been told
about. The translated part is only as good a test as the glossary is wide: a word the glossary does
not know stays English, as it would in a real mixed-language title.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np

from clearway.classify.classifier import Classifier, Item, Suggestions, item_from_json
from clearway.classify.data import Example
from clearway.classify.glossary import glossary

NOISE_BRANDS: Final = (
    "Zorvex", "Qilun", "Maxtrend", "Lumira", "Brivo", "Keniko", "Aurexa", "Tovana", "Yuhang", "Dexlon",
    "Vivimo", "Hanxin", "Ozzlo", "Pexmart", "Sunvale", "Greatoo",
)  # fmt: skip
NOISE_PHRASES: Final = (
    "NEW", "2025 Newest", "Hot Sale", "Premium Quality", "Free Shipping", "Gift for Her", "Upgraded",
    "Fast Delivery", "Top Rated", "Limited Offer", "Trendy", "Unisex", "Hot", "Must Have", "Best Seller",
)  # fmt: skip
NOISE_COLOURS: Final = (
    "Black",
    "Red",
    "Navy Blue",
    "Rose Gold",
    "Khaki",
    "Multicolor",
    "Sky Blue",
    "Wine Red",
    "White",
)
NOISE_SIZES: Final = (
    "Size M",
    "XL",
    "250ml",
    "2 Pcs",
    "10pcs",
    "3-Pack",
    "500g",
    "EU 42",
    "15.6 inch",
    "1 Pair",
    "Large",
)
TRANSLATED_SHARE: Final = 0.2


def _reverse(language: str) -> dict[str, str]:
    g = glossary()
    table = g.chinese if language == "zh" else g.words[language]
    reverse: dict[str, str] = {}
    for foreign, english in table.items():
        if " " not in english and not any(c.isascii() and c.isalpha() for c in foreign if language == "zh"):
            reverse.setdefault(english, foreign)
    return reverse


def translate_words(text: str, language: str) -> str:
    """Word-by-word translation with the glossary read backwards; unknown words stay English."""
    reverse = _reverse(language)
    out = []
    for word in text.lower().replace(",", " ").split():
        found = reverse.get(word) or reverse.get(word.rstrip("s"))
        out.append(found if found is not None else word)
    joiner = "" if language == "zh" else " "
    if language == "zh":
        # Chinese words run together; English words left in keep their spaces.
        return "".join(w if not w.isascii() else f" {w} " for w in out).strip()
    return joiner.join(out)


def noisy(text: str, seed: int) -> str:
    """A marketplace-style title around ``text`` (deterministic in ``seed``)."""
    rng = random.Random(seed)
    core = text
    if rng.random() < TRANSLATED_SHARE:
        core = translate_words(text, rng.choice(("zh", "es", "fr")))
    parts = [rng.choice(NOISE_BRANDS)]
    if rng.random() < 0.7:
        parts.append(rng.choice(NOISE_PHRASES))
    parts.append(core)
    extras = []
    if rng.random() < 0.6:
        extras.append(rng.choice(NOISE_COLOURS))
    if rng.random() < 0.6:
        extras.append(rng.choice(NOISE_SIZES))
    if rng.random() < 0.3:
        extras.append(rng.choice(NOISE_PHRASES))
    title = " ".join(parts + extras)
    return title.title() if rng.random() < 0.5 else title


def accuracy(predicted: Sequence[Sequence[str]], truth: Sequence[str]) -> dict[str, float]:
    """Top-1 at 2, 4 and 6 digits and top-3 at 6 digits (predicted: per item, codes best first)."""
    n = max(len(truth), 1)

    def share(hit: Any) -> float:
        return round(sum(1 for p, t in zip(predicted, truth, strict=True) if hit(p, t)) / n, 4)

    return {
        "top1_2": share(lambda p, t: bool(p) and p[0][:2] == t[:2]),
        "top1_4": share(lambda p, t: bool(p) and p[0][:4] == t[:4]),
        "top1_6": share(lambda p, t: bool(p) and p[0] == t),
        "top3_6": share(lambda p, t: t in p[:3]),
    }


def evaluate(classifier: Classifier, test: Sequence[Example], *, noise_seed: int = 2022) -> dict[str, Any]:
    """Model and baseline on the clean and the noisy held-out set, overall and per chapter."""
    truth = [e.code for e in test]
    clean = [e.text for e in test]
    noisy_texts = [noisy(e.text, noise_seed + i) for i, e in enumerate(test)]
    out: dict[str, Any] = {"items": len(test)}
    for name, texts in (("clean", clean), ("noisy", noisy_texts)):
        model, baseline, confidence = _predict(classifier, texts)
        out[name] = {
            "model": accuracy(model, truth),
            "baseline_nearest_neighbour": accuracy(baseline, truth),
            "calibration": _calibration(model, confidence, truth),
            "per_chapter": _per_chapter(model, baseline, truth),
        }
    out["noisy_examples"] = noisy_texts[:5]
    return out


def _predict(classifier: Classifier, texts: Sequence[str]) -> tuple[list[list[str]], list[list[str]], list[float]]:
    codes = classifier.index.codes_array
    model: list[list[str]] = []
    baseline: list[list[str]] = []
    confidence: list[float] = []
    for start in range(0, len(texts), 512):
        words = [classifier.words(Item(t)) for t in texts[start : start + 512]]
        ranked, conf, scores = classifier.rank([own + cat for own, cat in words])
        near = np.argsort(-scores["knn6"], axis=1, kind="stable")[:, :3]
        for row, (own, _) in enumerate(words):
            empty = not own
            model.append([] if empty else codes[ranked[row, :3]].tolist())
            baseline.append([] if empty else codes[near[row]].tolist())
            confidence.append(0.0 if empty else float(conf[row, 0]))
    return model, baseline, confidence


def _calibration(model: Sequence[Sequence[str]], confidence: Sequence[float], truth: Sequence[str]) -> dict[str, Any]:
    """Expected calibration error of the top-1 confidence over ten bins, and the confident share."""
    right = np.asarray([bool(p) and p[0] == t for p, t in zip(model, truth, strict=True)], dtype=float)
    conf = np.asarray(confidence)
    bins = np.minimum((conf * 10).astype(int), 9)
    ece = sum(
        abs(conf[bins == b].mean() - right[bins == b].mean()) * (bins == b).mean()
        for b in range(10)
        if (bins == b).any()
    )
    confident = conf >= 0.5
    return {
        "expected_calibration_error": round(float(ece), 4),
        "mean_confidence": round(float(conf.mean()), 4) if len(conf) else 0.0,
        "confident_share": round(float(confident.mean()), 4) if len(conf) else 0.0,
        "top1_6_when_confident": round(float(right[confident].mean()), 4) if confident.any() else None,
    }


def _per_chapter(
    model: Sequence[Sequence[str]], baseline: Sequence[Sequence[str]], truth: Sequence[str]
) -> dict[str, Any]:
    chapters: dict[str, list[int]] = {}
    for i, t in enumerate(truth):
        chapters.setdefault(t[:2], []).append(i)
    out = {}
    for chapter, rows in sorted(chapters.items()):
        out[chapter] = {
            "items": len(rows),
            "model": accuracy([model[i] for i in rows], [truth[i] for i in rows]),
            "baseline_nearest_neighbour": accuracy([baseline[i] for i in rows], [truth[i] for i in rows]),
        }
    return out


def read_listings(path: Path) -> list[tuple[Item, str]]:
    """A labelled set of listings: one ``{"item": {...}, "hs6": "610910"}`` a line (data/evaluation)."""
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            code = raw["hs6"]
            if not (isinstance(code, str) and len(code) == 6 and code.isdigit()):
                raise ValueError("'hs6' must be six digits")
            out.append((item_from_json(raw["item"]), code))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}, line {number}: {exc}") from exc
    return out


def evaluate_listings(classifier: Classifier, listings: Sequence[tuple[Item, str]]) -> dict[str, Any]:
    """The model on whole listings (title, category, attributes) and on titles alone, beside the
    nearest-neighbour baseline on titles, with the share answered with low confidence."""
    truth = [code for _, code in listings]
    answers = classifier.suggest_many([item for item, _ in listings], top=3)
    whole = [[s.code for s in a.suggestions] if isinstance(a, Suggestions) else [] for a in answers]
    titles, baseline, _ = _predict(classifier, [item.description for item, _ in listings])
    low = sum(1 for a in answers if not isinstance(a, Suggestions) or a.low_confidence)
    return {
        "items": len(listings),
        "model": accuracy(whole, truth),
        "model_titles_only": accuracy(titles, truth),
        "baseline_nearest_neighbour": accuracy(baseline, truth),
        "low_confidence_share": round(low / max(len(listings), 1), 4),
    }
