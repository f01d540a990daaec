"""The classifier on disk: ``manifest.json`` and ``model.npz``, plain data, never pickle.

``model.npz`` holds arrays only (strings as fixed-width Unicode arrays) and is read with
``allow_pickle=False``; the manifest (``building.py`` writes its content) adds the version, which is
a digest of the arrays (the same data trains the same version), the SHA-256 of ``model.npz`` as
written, the ranker's weights and calibration, the sources' SHA-256, counts and the held-out
evaluation. Loading refuses, with a message that says what to do, a folder without a manifest, a
manifest of another format or glossary, a ``model.npz`` whose digest is not the manifest's (altered
or truncated), and arrays that do not fit together.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Final

import numpy as np
import scipy.sparse as sp

from clearway.classify import building, glossary
from clearway.classify.building import FORMAT
from clearway.classify.classifier import Classifier
from clearway.classify.features import Vectoriser
from clearway.classify.index import Index
from clearway.classify.ranker import Ranker
from clearway.risk.reference import VagueTerms

MANIFEST: Final = "manifest.json"
ARRAYS: Final = "model.npz"
RETRAIN: Final = "retrain with 'clearway hs train'"


class ArtefactError(ValueError):
    """A model folder that cannot be used (altered, truncated, inconsistent)."""


class StaleArtefact(ArtefactError):
    """A model written by another version of this code (another format or glossary): retrain it."""


def _arrays(c: Classifier) -> dict[str, np.ndarray[Any, Any]]:
    docs = c.index.docs
    return {
        **c.vectoriser.to_arrays(),
        "codes": np.asarray(c.index.codes, dtype=str),
        "docs_data": docs.data,
        "docs_indices": docs.indices.astype(np.int32),
        "docs_indptr": docs.indptr.astype(np.int64),
        "doc_class": c.index.doc_class.astype(np.int64),
        "priors": c.index.priors,
        "doc_texts": np.asarray(c.doc_texts, dtype=str),
        "doc_sources": np.asarray(c.doc_sources, dtype=str),
        "texts": np.asarray([c.texts[code] for code in c.index.codes], dtype=str),
        "noise": np.asarray(sorted(c.noise), dtype=str),
        "english": np.asarray(sorted(c.english), dtype=str),
        "vague_terms": np.asarray(sorted(c.vague.terms), dtype=str),
        "vague_patterns": np.asarray(list(c.vague.patterns), dtype=str),
    }


def digest(arrays: dict[str, np.ndarray[Any, Any]]) -> str:
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}:{a.dtype.str}:{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def save(c: Classifier, folder: Path) -> Path:
    """Write the model into ``folder`` (created); the manifest last, each file replaced atomically.
    Two processes saving at once (two first uses on a fresh clone) take turns on a lock file, so that
    the manifest always describes the arrays beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays = _arrays(c)
    content = digest(arrays)
    with (folder / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        written = _replace(folder / ARRAYS, lambda handle: np.savez_compressed(handle, **arrays))  # type: ignore[arg-type]
        manifest = dict(c.manifest)
        manifest.update(
            {
                "version": f"hs-{content[:12]}",
                "content_sha256": content,
                "model_sha256": hashlib.sha256(written).hexdigest(),
                "ranker": c.ranker.to_json(),
            }
        )
        c.manifest = manifest
        text = (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode("utf-8")
        _replace(folder / MANIFEST, lambda handle: handle.write(text))
    return folder


def _replace(target: Path, write: Callable[[IO[bytes]], object]) -> bytes:
    """Write ``target`` through a temporary file of its own in the same folder, then swap it in."""
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", delete=False) as handle:
        write(handle)
    temporary = Path(handle.name)
    data = temporary.read_bytes()
    os.replace(temporary, target)
    return data


def load(folder: Path) -> Classifier:
    path = folder / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"no HS classifier in {folder} (no {MANIFEST}); train one with 'clearway hs train'")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ArtefactError(f"{path} is not valid JSON ({exc}); {RETRAIN}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise StaleArtefact(f"{folder}: format {found!r}, this code reads {FORMAT!r}; {RETRAIN}")
    if manifest.get("glossary", {}).get("signature") != glossary.signature():
        raise StaleArtefact(f"{folder}: trained with another glossary than this code's; {RETRAIN}")
    raw = (folder / ARRAYS).read_bytes() if (folder / ARRAYS).is_file() else b""
    if hashlib.sha256(raw).hexdigest() != manifest.get("model_sha256"):
        raise ArtefactError(f"{folder / ARRAYS} is missing or altered (its SHA-256 is not the manifest's); {RETRAIN}")
    try:
        with np.load(folder / ARRAYS, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        if digest(arrays) != manifest.get("content_sha256"):
            raise ArtefactError(f"{folder / ARRAYS}: content digest differs from the manifest's")
        return _classifier(arrays, manifest)
    except ArtefactError:
        raise
    except (KeyError, ValueError, IndexError, TypeError, zipfile.BadZipFile, OSError) as exc:
        raise ArtefactError(f"{folder}: the model's arrays are unusable ({exc}); {RETRAIN}") from exc


def load_or_train(folder: Path, reference: Path, note: Callable[[str], None] = lambda _: None) -> Classifier:
    """The model in ``folder``; when there is none, or a stale one (another version's), one trained
    from ``reference`` and saved there first, after ``note`` says so in one line. An altered or
    inconsistent model raises ArtefactError: it is not silently replaced."""
    if (folder / MANIFEST).exists():
        try:
            return load(folder)
        except StaleArtefact:
            why = f"the HS model in {folder} was written by another version of Clearway"
    else:
        why = f"no HS model in {folder}"
    note(f"{why}: training one from {reference} (about 15 s, once)")
    classifier = building.train(reference, with_evaluation=False)
    save(classifier, folder)
    return classifier


def _strings(a: np.ndarray[Any, Any]) -> list[str]:
    if a.dtype.kind != "U":
        raise ValueError(f"expected text, found {a.dtype}")
    return [str(v) for v in a.tolist()]


def _classifier(arrays: dict[str, np.ndarray[Any, Any]], manifest: dict[str, Any]) -> Classifier:
    vectoriser = Vectoriser.from_arrays(arrays)
    codes = _strings(arrays["codes"])
    n_docs = len(arrays["docs_indptr"]) - 1
    docs = sp.csr_matrix(
        (arrays["docs_data"].astype(np.float64), arrays["docs_indices"], arrays["docs_indptr"]),
        shape=(n_docs, len(vectoriser.idf)),
    )
    docs.check_format(full_check=True)
    doc_class = arrays["doc_class"].astype(np.int64)
    if len(doc_class) != n_docs or (len(doc_class) and (doc_class.min() < 0 or doc_class.max() >= len(codes))):
        raise ValueError("text labels do not fit the subheadings")
    index = Index(codes, docs, doc_class, arrays["priors"].astype(np.float64), vectoriser.is_word)
    texts = _strings(arrays["texts"])
    doc_texts, doc_sources = _strings(arrays["doc_texts"]), _strings(arrays["doc_sources"])
    if len(texts) != len(codes) or len(doc_texts) != n_docs or len(doc_sources) != n_docs:
        raise ValueError("texts do not fit the subheadings and training texts")
    return Classifier(
        vectoriser=vectoriser,
        index=index,
        ranker=Ranker.from_json(manifest["ranker"]),
        noise=frozenset(_strings(arrays["noise"])),
        english=frozenset(_strings(arrays["english"])),
        vague=VagueTerms(frozenset(_strings(arrays["vague_terms"])), tuple(_strings(arrays["vague_patterns"]))),
        texts=dict(zip(codes, texts, strict=True)),
        doc_texts=doc_texts,
        doc_sources=doc_sources,
        manifest=manifest,
    )
