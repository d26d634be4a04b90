"""Stored models: skops with trusted types, sha256 checked, hostile uploads refused."""
import io
import operator
import zipfile

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from influencers.calibration import artefacts
from influencers.calibration.artefacts import ArtefactRejected


@pytest.fixture(scope="module")
def boosted():
    rng = np.random.RandomState(0)
    X = rng.randn(300, 4)
    X[::5, 1] = np.nan
    y = (X[:, 0] + 0.3 * rng.randn(300) > 0).astype(int)
    return HistGradientBoostingClassifier(max_iter=15, random_state=0).fit(X, y), X


def test_boosted_model_round_trips_and_predicts_the_same(boosted):
    model, X = boosted
    data, digest = artefacts.dump_boosted(model)
    loaded = artefacts.load_boosted(data, digest)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_a_tampered_artefact_is_refused(boosted):
    data, digest = artefacts.dump_boosted(boosted[0])
    tampered = bytearray(data)
    tampered[len(tampered) // 2] ^= 0xFF
    with pytest.raises(ArtefactRejected, match="sha256"):
        artefacts.load_boosted(bytes(tampered), digest)


def _zip(members, compression=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members:
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize("data, reason", [
    (b"\x80\x04 pickle bytes", "not a zip"),
    (_zip([("schema.json", b"{}"), ("big.npy", b"\0" * 5_000_000)]), "zip bomb"),
    (_zip([("schema.json", b"{}")] + [(f"m{i}.npy", b"x") for i in range(artefacts.MAX_MEMBERS + 1)],
          zipfile.ZIP_STORED), "members"),
    (_zip([("data.npy", b"x")]), "no schema.json"),
])
def test_hostile_uploads_are_refused_before_loading(data, reason):
    with pytest.raises(ArtefactRejected, match=reason):
        artefacts.load_boosted(data, artefacts.sha256(data))


def test_oversized_uploads_are_refused(monkeypatch, boosted):
    data, digest = artefacts.dump_boosted(boosted[0])
    monkeypatch.setattr(artefacts, "MAX_ARTEFACT_BYTES", len(data) - 1)
    with pytest.raises(ArtefactRejected, match="over the limit"):
        artefacts.load_boosted(data, digest)


def test_other_estimators_and_untrusted_types_are_refused():
    import skops.io as sio

    other = LogisticRegression().fit(np.eye(4), [0, 1, 0, 1])
    data = sio.dumps(other)
    with pytest.raises(ArtefactRejected, match="not a HistGradientBoostingClassifier"):
        artefacts.load_boosted(data, artefacts.sha256(data))
    data = sio.dumps({"f": operator.add})
    with pytest.raises(ArtefactRejected, match="not trusted"):
        artefacts.load_boosted(data, artefacts.sha256(data))
