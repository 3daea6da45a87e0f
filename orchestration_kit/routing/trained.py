"""Trained routing logic: a real classifier as a Router's analyzer (offline, no API key).

TF-IDF turns each message into word and character n-gram weights (the
character n-grams make it robust to typos); logistic regression learns which
weights point to which route. Its raw probabilities tend to be too timid, so
they are *calibrated* on 5-fold cross-validated predictions, by default with a
sigmoid (Platt scaling: two numbers fitted per route, which a few hundred
examples can pin down; isotonic regression fits a step function with many
steps, and on 269 examples gives many messages a confidence of exactly 1.0).
Calibration aims at "a confidence of 0.8 means right about 80 % of the time",
which is what a Router's ``threshold`` assumes; how far it gets there is
measured, not promised: ``reliability()`` below. The most probable route is
the decision, its calibrated probability the confidence; ``ranked()`` gives
every route with its probability (for ``MultiRoute``).

    >>> from orchestration_kit import datasets
    >>> train = datasets.customer_queries("train")
    >>> analyzer = TrainedClassifier().fit(train.text, train.label)
    >>> analyzer("I was charged twice this month")
    Decision(route='billing', confidence=0.956, reason="tf-idf + logistic regression; strongest words: 'twice', 'charged'")
    >>> Router(analyzer=analyzer, routes=specialists, fallback=generalist, threshold=0.5)

Needs scikit-learn: ``pip install "orchestration-kit[ml]"``.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterable

from ..errors import ConfigurationError
from ..patterns.router import Decision

_INSTALL = 'TrainedClassifier needs scikit-learn: pip install "orchestration-kit[ml]"'


class TrainedClassifier:
    """Routing logic learned from labelled examples (see module docs).

    ``C`` is the inverse regularisation strength: higher fits the training
    examples more closely and gives sharper (more confident) probabilities.
    """

    def __init__(self, *, C: float = 10.0, word_ngrams: tuple[int, int] = (1, 2), char_ngrams: tuple[int, int] = (2, 5),
                 calibration: str = "sigmoid") -> None:
        if calibration not in ("sigmoid", "isotonic"):
            raise ConfigurationError(f"TrainedClassifier: calibration is 'sigmoid' or 'isotonic', got {calibration!r}")
        self.C, self.word_ngrams, self.char_ngrams = C, word_ngrams, char_ngrams
        self.calibration = calibration
        self.name = "trained_classifier"  # the analyzer's name in traces and diagrams
        self._pipeline: Any = None
        self._feature_names: Any = None
        self.n_examples = 0

    def fit(self, texts: Iterable[str], labels: Iterable[str]) -> TrainedClassifier:
        """Learn from examples (e.g. a data set's train split); returns self."""
        texts, labels = [str(t) for t in texts], [str(label) for label in labels]
        if len(texts) != len(labels):
            raise ConfigurationError(f"TrainedClassifier.fit: {len(texts)} texts but {len(labels)} labels; give one label per text")
        if len(set(labels)) < 2:
            raise ConfigurationError("TrainedClassifier.fit needs examples of at least two different routes")
        pipeline = _build_pipeline(self.C, self.word_ngrams, self.char_ngrams, self.calibration)
        with _one_thread():
            self._pipeline = pipeline.fit(texts, labels)
        self._feature_names = self._pipeline[:-1].get_feature_names_out()  # e.g. "words__refund", "chars__ref"
        self.n_examples = len(texts)
        return self

    @property
    def labels(self) -> list[str]:
        """The routes this router can choose, in the classifier's order."""
        return [str(label) for label in self._fitted().classes_]

    def __call__(self, text: Any) -> Decision:
        """The most probable route for ``text``, with its calibrated probability as confidence."""
        return self.predict([text])[0]

    def predict(self, texts: Iterable[Any]) -> list[Decision]:
        """Decisions for many texts at once (faster than one call per text)."""
        pipeline = self._fitted()
        features = pipeline[:-1].transform([str(t) for t in texts])
        probabilities = pipeline[-1].predict_proba(features)
        decisions = []
        for i, row in enumerate(probabilities):
            best = int(row.argmax())
            words = self._strongest_words(features[i], best)
            reason = "tf-idf + logistic regression" + (f"; strongest words: {words}" if words else "")
            decisions.append(Decision(str(pipeline.classes_[best]), round(float(row[best]), 3), reason))
        return decisions

    def ranked(self, text: Any) -> list[Decision]:
        """Every route for ``text``, most probable first, each with its calibrated probability.

        >>> [(d.route, d.confidence) for d in analyzer.ranked("My card was declined when the plan renewed, so please help me log in.")][:2]
        [('billing', 0.57), ('technical', 0.423)]
        """
        pipeline = self._fitted()
        row = pipeline[-1].predict_proba(pipeline[:-1].transform([str(text)]))[0]
        order = sorted(range(len(row)), key=lambda i: -row[i])
        return [Decision(str(pipeline.classes_[i]), round(float(row[i]), 3), "tf-idf + logistic regression")
                for i in order]

    def _strongest_words(self, x: Any, best: int) -> str:
        """The whole words that pushed hardest towards the chosen route (to show the learner why)."""
        regression = self._pipeline[-1].calibrated_classifiers_[0].estimator  # the model under the calibration
        weights, names = regression.coef_[best], self._feature_names
        row = x.tocoo()
        pushes = sorted(((float(v * weights[j]), str(names[j])) for j, v in zip(row.col, row.data)), reverse=True)
        words = [name.split("__", 1)[1] for push, name in pushes if push > 0 and name.startswith("words__")]
        return ", ".join(repr(w) for w in words[:2])

    def _fitted(self) -> Any:
        if self._pipeline is None:
            raise ConfigurationError("TrainedClassifier is not fitted yet; call .fit(train.text, train.label) first")
        return self._pipeline

    def __repr__(self) -> str:
        if self._pipeline is None:
            return "TrainedClassifier(not fitted)"
        calibrated = "" if self.calibration == "sigmoid" else f", calibration={self.calibration!r}"
        return f"TrainedClassifier(fitted on {self.n_examples} examples, routes={self.labels}{calibrated})"


def reliability(decisions: Iterable[Decision], labels: Iterable[str], bins: int = 5) -> Any:
    """How often the router was right, by band of confidence: the data of a reliability curve.

    One row per band of equal width (e.g. 0.6-0.8): how many decisions fell in it, their mean
    confidence, the share that were right, and a 95 % interval for that share (Wilson's): with a
    few dozen decisions in a band, the share alone says less than it seems.

    >>> reliability(analyzer.predict(test.text), test.label)     # a DataFrame, one row per band
    """
    import pandas as pd

    rows: dict[int, list[tuple[float, bool]]] = {}
    for decision, label in zip(decisions, labels):
        band = min(int(decision.confidence * bins), bins - 1)
        rows.setdefault(band, []).append((decision.confidence, decision.route == label))
    table = []
    for band in sorted(rows):
        confidences, right = zip(*rows[band])
        low, high = _wilson(sum(right), len(right))
        table.append({"band": f"{band / bins:.1f}-{(band + 1) / bins:.1f}", "decisions": len(right),
                      "mean confidence": round(sum(confidences) / len(right), 3),
                      "right": round(sum(right) / len(right), 3), "right (95% low)": round(low, 3),
                      "right (95% high)": round(high, 3)})
    return pd.DataFrame(table)


def _wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson's 95 % interval for a proportion: sensible even at 0 or n successes, unlike p ± 2·se."""
    p = successes / n
    centre, spread = p + z * z / (2 * n), z * ((p * (1 - p) + z * z / (4 * n)) / n) ** 0.5
    return max(0.0, (centre - spread) / (1 + z * z / n)), min(1.0, (centre + spread) / (1 + z * z / n))


def _one_thread() -> Any:
    """Run numeric libraries on one thread: problems this small are faster that way, and on a
    busy machine several threads only fight for the cores (measured here, fitting: 0.5 s against
    2-22 s; embedding one message: about 30 ms against 100-750 ms)."""
    try:
        from threadpoolctl import threadpool_limits  # installed with scikit-learn
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1)


def _build_pipeline(C: float, word_ngrams: tuple[int, int], char_ngrams: tuple[int, int], calibration: str) -> Any:
    try:
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, Pipeline
    except ImportError:
        raise ImportError(_INSTALL) from None
    features = FeatureUnion([
        ("words", TfidfVectorizer(ngram_range=word_ngrams, sublinear_tf=True)),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=char_ngrams, sublinear_tf=True)),
    ])
    classifier = CalibratedClassifierCV(LogisticRegression(C=C, max_iter=2000), method=calibration, cv=5, ensemble=False)
    return Pipeline([("features", features), ("classifier", classifier)])
