"""The model on disk: its manifest, deterministic training, and refusal of altered or foreign folders."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from clearway.classify import artefact, building
from clearway.classify.artefact import load, save
from clearway.classify.classifier import Classifier, Item
from tests.conftest import REFERENCE


def copy(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(source, target)
    return target


def test_the_manifest_says_what_the_model_is(hs_model_dir: Path, hs_classifier: Classifier) -> None:
    manifest = json.loads((hs_model_dir / "manifest.json").read_text())
    assert manifest["format"] == building.FORMAT and manifest["version"].startswith("hs-")
    assert manifest["created_at"] and manifest["train_seconds"] < 60
    for relative, digest in manifest["sources"].items():
        assert hashlib.sha256((REFERENCE / relative).read_bytes()).hexdigest() == digest
    assert set(manifest["sources"]) >= {"hs2022/harmonized-system.csv", "hmrc-fpo/extra_references.csv"}
    counts = manifest["counts"]
    assert counts["subheadings"] == 5612
    assert counts["examples"]["nomenclature"] == 5612 and counts["examples"]["search"] == 4006
    assert counts["skipped"]["parcel"] > 0  # HMRC's rows whose code is no subheading
    assert manifest["model_sha256"] == hashlib.sha256((hs_model_dir / "model.npz").read_bytes()).hexdigest()
    assert manifest["glossary"]["entries"]["zh"] >= 300
    assert hs_classifier.version == manifest["version"]


def test_training_is_deterministic(hs_classifier: Classifier) -> None:
    again = building.train(REFERENCE, with_evaluation=False)
    assert artefact.digest(artefact._arrays(again)) == hs_classifier.manifest["content_sha256"]
    assert again.ranker.weights.tolist() == hs_classifier.ranker.weights.tolist()


def test_corrections_are_training_examples(tmp_path: Path) -> None:
    # A made-up word labelled by an officer: unknown before, suggested after.
    word = "zorblaxian gizmo"
    trained = building.train(
        REFERENCE, [(word, "9503000000"), (word, "950300"), ("junk", "12AB")], with_evaluation=False
    )
    assert trained.manifest["counts"]["examples"]["corrections"] == 2
    assert trained.manifest["counts"]["skipped"]["corrections"] == 1
    answer = trained.suggest_many([Item("Zorblaxian gizmo deluxe")])[0]
    assert answer.suggestions[0].code == "950300"  # type: ignore[union-attr]


def test_a_saved_model_answers_as_before(hs_classifier: Classifier, hs_model_dir: Path, tmp_path: Path) -> None:
    folder = artefact.save(hs_classifier, tmp_path / "again")
    loaded = artefact.load(folder)
    items = [Item("cotton t-shirt"), Item("smartphone"), Item("gift")]
    assert [a.to_json() for a in loaded.suggest_many(items)] == [a.to_json() for a in hs_classifier.suggest_many(items)]


def test_a_missing_model_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="clearway hs train"):
        artefact.load(tmp_path)


def test_an_altered_model_is_refused(hs_model_dir: Path, tmp_path: Path) -> None:
    folder = copy(hs_model_dir, tmp_path)
    raw = bytearray((folder / "model.npz").read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (folder / "model.npz").write_bytes(bytes(raw))
    with pytest.raises(artefact.ArtefactError, match="missing or altered"):
        artefact.load(folder)
    (folder / "model.npz").unlink()
    with pytest.raises(artefact.ArtefactError, match="missing or altered"):
        artefact.load(folder)


def test_arrays_swapped_under_a_matching_file_digest_are_refused(hs_model_dir: Path, tmp_path: Path) -> None:
    """Someone who rewrites model.npz and its file digest in the manifest still fails the content digest,
    and an object array (which only pickle could read) is never unpickled."""
    folder = copy(hs_model_dir, tmp_path)
    with np.load(folder / "model.npz", allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    arrays["priors"] = arrays["priors"] * 2
    np.savez(folder / "model.npz", **arrays)  # type: ignore[arg-type]
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["model_sha256"] = hashlib.sha256((folder / "model.npz").read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(artefact.ArtefactError, match="content digest"):
        artefact.load(folder)
    arrays["noise"] = np.asarray([{"a": 1}], dtype=object)
    np.savez(folder / "model.npz", **arrays)  # type: ignore[arg-type]
    manifest["model_sha256"] = hashlib.sha256((folder / "model.npz").read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(artefact.ArtefactError, match="unusable"):
        artefact.load(folder)


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (lambda m: m.update(format="clearway-hs-classifier/0"), artefact.StaleArtefact, "format"),
        (lambda m: m["glossary"].update(signature="0" * 16), artefact.StaleArtefact, "another glossary"),
    ],
)
def test_a_model_of_another_version_is_stale(
    hs_model_dir: Path, tmp_path: Path, change: object, error: type[Exception], message: str
) -> None:
    folder = copy(hs_model_dir, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    change(manifest)  # type: ignore[operator]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(error, match=message):
        artefact.load(folder)


def test_a_manifest_that_is_not_json_is_refused(hs_model_dir: Path, tmp_path: Path) -> None:
    folder = copy(hs_model_dir, tmp_path)
    (folder / "manifest.json").write_text("{not json")
    with pytest.raises(artefact.ArtefactError, match="not valid JSON"):
        artefact.load(folder)


def test_two_processes_saving_at_once_leave_a_model_that_loads(hs_classifier: Any, tmp_path: Path) -> None:
    """Two first uses on a fresh clone: they take turns on a lock file, and each file is swapped in
    whole, so the manifest always describes the arrays beside it."""
    import multiprocessing

    folder = tmp_path / "model"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=save, args=(hs_classifier, folder)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert load(folder).version == hs_classifier.version
    assert sorted(p.name for p in folder.iterdir()) == [".lock", "manifest.json", "model.npz"]
