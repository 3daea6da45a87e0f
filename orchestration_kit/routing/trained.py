"""Trained routing logic: a real classifier as a Router's analyzer (offline, no API key).

TF-IDF turns each message into word and character n-gram weights (the
character n-grams make it robust to typos); logistic regression learns which
weights point to which route. Its raw probabilities tend to be too timid, so
they are *calibrated* (isotonic regression on 5-fold cross-validated
predictions): a confidence of 0.8 then means right about 80 % of the time,
which is what a Router's ``threshold`` assumes. The most probable route is
the decision, its calibrated probability the confidence.

    >>> from orchestration_kit import datasets
    >>> train = datasets.customer_queries("train")
    >>> analyzer = TrainedClassifier().fit(train.text, train.label)
    >>> analyzer("I was charged twice this month")
    Decision(route='billing', confidence=1.0, reason="tf-idf + logistic regression; strongest words: 'twice', 'charged'")
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

    def __init__(self, *, C: float = 10.0, word_ngrams: tuple[int, int] = (1, 2), char_ngrams: tuple[int, int] = (2, 5)) -> None:
        self.C, self.word_ngrams, self.char_ngrams = C, word_ngrams, char_ngrams
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
        pipeline = _build_pipeline(self.C, self.word_ngrams, self.char_ngrams)
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
        return f"TrainedClassifier(fitted on {self.n_examples} examples, routes={self.labels})"


def _one_thread() -> Any:
    """Run numeric libraries on one thread: problems this small are faster that way, and on a
    busy machine several threads only fight for the cores (measured here, fitting: 0.5 s against
    2-22 s; embedding one message: about 30 ms against 100-750 ms)."""
    try:
        from threadpoolctl import threadpool_limits  # installed with scikit-learn
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1)


def _build_pipeline(C: float, word_ngrams: tuple[int, int], char_ngrams: tuple[int, int]) -> Any:
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
    classifier = CalibratedClassifierCV(LogisticRegression(C=C, max_iter=2000), method="isotonic", cv=5, ensemble=False)
    return Pipeline([("features", features), ("classifier", classifier)])
