"""The seniority classifier: job title -> level 1..7, a TF-IDF (words + characters) linear model."""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import LinearSVC

from enrichment_platform.seniority.data_files import MODEL_DIR
from enrichment_platform.seniority.scale import LEVELS

DEFAULT_MODEL_PATH = MODEL_DIR / "seniority_model.joblib"
MODEL_PATH_ENV = "SENIORITY_MODEL_PATH"
ARTIFACT_FORMAT = 1

SENIORITY_LEVELS = np.array(LEVELS)
# A title that is empty after trimming carries no signal; a bare role title without a seniority marker
# ("Accountant", "Data Engineer") is level 2 in the training rules, so an empty one is treated the same.
EMPTY_TITLE_SENIORITY = 2

HYPERPARAMS: dict[str, Any] = {
    # Bump when HashedNgramCounts changes how it hashes, so the model version changes with it.
    "featurizer": "hashed-ngrams-1",
    # Bump when normalize_title changes, for the same reason.
    "normalizer": 2,
    "word_ngram_sizes": (1, 2),
    "char_ngram_sizes": (3, 4, 5),
    "hash_bits": 18,
    "sublinear_tf": True,
    "C": 2.0,
    "test_size": 0.2,
    "split_seed": 17,
}

# Abbreviations postings use for seniority words, expanded so "Sr." and "Senior" share features.
_ABBREVIATIONS = {
    "sr": "senior",
    "snr": "senior",
    "jr": "junior",
    "jnr": "junior",
    "mgr": "manager",
    "asst": "assistant",
    "assoc": "associate",
    "dir": "director",
    "vp": "vice president",
    "svp": "senior vice president",
    "evp": "executive vice president",
    "avp": "assistant vice president",
    "exec": "executive",
}
_ABBREVIATION_RE = re.compile(r"\b(" + "|".join(_ABBREVIATIONS) + r")\b\.?")
_DOTTED_VP_RE = re.compile(r"\bv\.\s?p\b\.?")
# "C.E.O." and "c.f.o" read as "ceo" and "cfo".
_DOTTED_INITIALISM_RE = re.compile(r"\b(?:[a-z]\.){2,}[a-z]?\b\.?")


def normalize_title(title: str) -> str:
    """Casefold, strip accents, expand seniority abbreviations and collapse whitespace of one job title."""
    text = title.casefold()
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(char for char in decomposed if not unicodedata.combining(char))
    text = _DOTTED_VP_RE.sub("vp", text.replace("&", " and "))
    text = _DOTTED_INITIALISM_RE.sub(lambda match: match.group(0).replace(".", ""), text)
    text = _ABBREVIATION_RE.sub(lambda match: _ABBREVIATIONS[match.group(1)], text)
    return " ".join(text.split())


def normalize_titles(titles: Any) -> list[str]:
    """normalize_title over a batch; the first step of the pipeline so training and serving agree."""
    return [normalize_title(title) for title in titles]


# Polynomial rolling hash over Unicode code points, in wrapping uint64 arithmetic: stable across processes
# and platforms (unlike Python's hash()), and computed for a whole batch at once with numpy.
_HASH_BASE = np.uint64(0x100000001B3)
_HASH_BASE_INVERSE = np.uint64(pow(0x100000001B3, -1, 2**64))
_FIBONACCI_MIX = np.uint64(0x9E3779B97F4A7C15)
_BIGRAM_SALT = np.uint64(0x51)
_WORD_CODE_LIMIT = 0x3000
# Code points from U+3000 on (CJK and beyond) count as word characters.
_IS_WORD_CODE = np.array([chr(code).isalnum() for code in range(_WORD_CODE_LIMIT)] + [True])


class HashedNgramCounts(BaseEstimator, TransformerMixin):
    """Counts of hashed character n-grams or word uni/bigrams per text, as a sparse matrix.

    Does what HashingVectorizer does, but vectorized over the whole batch in numpy instead of a Python
    loop per n-gram, which makes serving several times faster. Empty texts get an all-zero row.
    """

    def __init__(self, kind: str = "char", sizes: tuple[int, ...] = (3, 4, 5), hash_bits: int = 18):
        self.kind = kind
        self.sizes = sizes
        self.hash_bits = hash_bits

    def fit(self, texts: Any, y: Any = None) -> HashedNgramCounts:
        if self.kind not in ("char", "word"):
            raise ValueError(f"HashedNgramCounts kind must be 'char' or 'word', got {self.kind!r}")
        if self.kind == "word" and not set(self.sizes) <= {1, 2}:
            raise ValueError(f"word n-gram sizes must be 1 and/or 2, got {self.sizes}")
        self.n_features_out_ = 1 << self.hash_bits
        return self

    def transform(self, texts: Any) -> sp.csr_matrix:
        # A space on each side lets character n-grams see where words start and end.
        padded = [f" {text} " if text else "" for text in texts]
        n_features = 1 << self.hash_bits
        lengths = np.fromiter(map(len, padded), dtype=np.int64, count=len(padded))
        codes = np.frombuffer(
            "".join(padded).encode("utf-32-le", errors="surrogatepass"), dtype="<u4"
        ).astype(np.uint64)
        if len(codes) == 0:
            return sp.csr_matrix((len(padded), n_features), dtype=np.float32)
        doc_ends = np.cumsum(lengths)
        doc_of_code = np.repeat(np.arange(len(padded)), lengths)
        with np.errstate(over="ignore"):
            powers = np.ones(len(codes), dtype=np.uint64)
            inverse_powers = np.ones(len(codes), dtype=np.uint64)
            np.cumprod(np.full(len(codes) - 1, _HASH_BASE), out=powers[1:])
            np.cumprod(np.full(len(codes) - 1, _HASH_BASE_INVERSE), out=inverse_powers[1:])
            prefix = np.zeros(len(codes) + 1, dtype=np.uint64)
            np.cumsum(codes * powers, out=prefix[1:])
            rows, hashes = self._ngram_hashes(codes, prefix, inverse_powers, doc_of_code, doc_ends)
            columns = ((hashes * _FIBONACCI_MIX) >> np.uint64(64 - self.hash_bits)).astype(np.int64)
        counts = sp.csr_matrix(
            (np.ones(len(columns), dtype=np.float32), (rows, columns)), shape=(len(padded), n_features)
        )
        counts.sum_duplicates()
        return counts

    def _ngram_hashes(
        self,
        codes: np.ndarray,
        prefix: np.ndarray,
        inverse_powers: np.ndarray,
        doc_of_code: np.ndarray,
        doc_ends: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Row (text index) and position-independent hash of every n-gram in the batch."""
        rows, hashes = [], []
        if self.kind == "char":
            positions = np.arange(len(codes))
            end_of_doc = doc_ends[doc_of_code]
            for size in self.sizes:
                starts = positions[positions + size <= end_of_doc]
                span_hash = (prefix[starts + size] - prefix[starts]) * inverse_powers[starts]
                hashes.append(span_hash + np.uint64(size))
                rows.append(doc_of_code[starts])
        else:
            is_word = _IS_WORD_CODE[np.minimum(codes, _WORD_CODE_LIMIT).astype(np.int64)]
            # Padding guarantees every text starts and ends with a non-word character.
            edges = np.diff(is_word.astype(np.int8))
            token_starts = np.flatnonzero(edges == 1) + 1
            token_ends = np.flatnonzero(edges == -1) + 1
            token_hashes = (prefix[token_ends] - prefix[token_starts]) * inverse_powers[token_starts]
            token_docs = doc_of_code[token_starts]
            if 1 in self.sizes:
                hashes.append(token_hashes)
                rows.append(token_docs)
            if 2 in self.sizes:
                same_doc = token_docs[1:] == token_docs[:-1]
                hashes.append(
                    token_hashes[:-1][same_doc] * _FIBONACCI_MIX + token_hashes[1:][same_doc] + _BIGRAM_SALT
                )
                rows.append(token_docs[:-1][same_doc])
        return np.concatenate(rows), np.concatenate(hashes)


def build_pipeline(params: dict[str, Any] = HYPERPARAMS) -> Pipeline:
    """The untrained scikit-learn pipeline: normalize, word and character n-gram TF-IDF, linear SVM."""
    features = FeatureUnion(
        [
            (
                "words",
                make_pipeline(
                    HashedNgramCounts("word", tuple(params["word_ngram_sizes"]), params["hash_bits"]),
                    TfidfTransformer(sublinear_tf=params["sublinear_tf"]),
                ),
            ),
            (
                "chars",
                make_pipeline(
                    HashedNgramCounts("char", tuple(params["char_ngram_sizes"]), params["hash_bits"]),
                    TfidfTransformer(sublinear_tf=params["sublinear_tf"]),
                ),
            ),
        ]
    )
    return Pipeline(
        [
            ("normalize", FunctionTransformer(normalize_titles)),
            ("features", features),
            ("classifier", LinearSVC(C=params["C"], random_state=0)),
        ]
    )


def model_version(training_data: bytes, params: dict[str, Any] = HYPERPARAMS) -> str:
    """Short id of a model: a hash of its training data bytes and hyper-parameters, e.g. "sm-1a2b3c4d"."""
    digest = hashlib.sha256(training_data)
    digest.update(json.dumps(params, sort_keys=True).encode("utf-8"))
    return f"sm-{digest.hexdigest()[:8]}"


def default_model_path() -> Path:
    """Where the model artifact lives: $SENIORITY_MODEL_PATH, else the one shipped with the package."""
    configured = os.environ.get(MODEL_PATH_ENV)
    return Path(configured) if configured else DEFAULT_MODEL_PATH


class SeniorityClassifier:
    """A trained title -> seniority pipeline with the version that identifies it."""

    def __init__(self, pipeline: Pipeline, version: str, params: dict[str, Any] | None = None):
        self.pipeline = pipeline
        self.version = version
        self.params = dict(params or HYPERPARAMS)

    @classmethod
    def train(
        cls,
        titles: list[str],
        levels: list[int] | np.ndarray,
        *,
        training_data: bytes,
        params: dict[str, Any] = HYPERPARAMS,
    ) -> SeniorityClassifier:
        """Fit a new pipeline on titles and levels; training_data (the CSV bytes) names the version."""
        pipeline = build_pipeline(params)
        pipeline.fit(titles, np.asarray(levels))
        classifier = pipeline.named_steps["classifier"]
        # float32 weights stored sparse keep the artifact small; predictions are argmaxes, far from
        # float32 precision, and most hashed columns never occur in training.
        classifier.coef_ = classifier.coef_.astype(np.float32)
        classifier.intercept_ = classifier.intercept_.astype(np.float32)
        classifier.sparsify()
        return cls(pipeline, model_version(training_data, params), params)

    def predict(self, companies: list[str], titles: list[str]) -> np.ndarray:
        """Seniority (int32, in LEVELS) for each (company, title) pair; the company is not used by this model.

        Titles that are empty after normalization (blank, whitespace only) get EMPTY_TITLE_SENIORITY.
        """
        if len(companies) != len(titles):
            raise ValueError(
                f"predict got {len(companies)} companies but {len(titles)} titles; pass one of each per pair"
            )
        if len(titles) == 0:
            return np.empty(0, dtype=np.int32)
        features = self.pipeline[:-1].transform(titles)
        levels = self.pipeline[-1].predict(features).astype(np.int32)
        # Only a title that normalizes to nothing has no n-gram at all.
        levels[np.diff(features.indptr) == 0] = EMPTY_TITLE_SENIORITY
        return levels

    def save(self, path: Path) -> None:
        """Write the artifact (pipeline, version, hyper-parameters) to path with joblib."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        artifact = {
            "format": ARTIFACT_FORMAT,
            "version": self.version,
            "params": self.params,
            "pipeline": self.pipeline,
        }
        joblib.dump(artifact, path, compress=3)

    @classmethod
    def load(cls, path: Path | None = None) -> SeniorityClassifier:
        """Read an artifact written by save; path defaults to default_model_path()."""
        path = Path(path) if path is not None else default_model_path()
        if not path.exists():
            raise FileNotFoundError(
                f"seniority model artifact not found at {path}; run `seniority-model train` to create it "
                f"or point {MODEL_PATH_ENV} at an existing artifact"
            )
        artifact = joblib.load(path)
        if not isinstance(artifact, dict) or artifact.get("format") != ARTIFACT_FORMAT:
            raise ValueError(
                f"{path} is not a seniority model artifact of format {ARTIFACT_FORMAT}; "
                "retrain it with `seniority-model train`"
            )
        return cls(artifact["pipeline"], artifact["version"], artifact["params"])
