"""The stored form of fitted models: never pickle or joblib.

* a linear model is plain JSON (:mod:`influencers.calibration.training` writes and reads it);
* a boosted model (``HistGradientBoostingClassifier``) is a ``skops`` file, loaded with an
  explicit list of trusted types.

Every artefact's sha256 is recorded when it is stored and checked before it is loaded, so
a file changed in the database or on the way is refused. An uploaded artefact is checked
before anything reads it as a model: it must be a zip archive (what skops writes) within
:data:`MAX_ARTEFACT_BYTES`, with at most :data:`MAX_MEMBERS` members, at most
:data:`MAX_UNCOMPRESSED_BYTES` uncompressed and no member compressed more than
:data:`MAX_COMPRESSION_RATIO` to one (a zip bomb), and contain only trusted types.
"""
from __future__ import annotations

import hashlib
import io
import zipfile

MAX_ARTEFACT_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_MEMBERS = 5000
MAX_COMPRESSION_RATIO = 50

# The types a stored HistGradientBoostingClassifier needs beyond those skops trusts by default.
TRUSTED_TYPES = ("sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",)


class ArtefactRejected(ValueError):
    """An artefact that is not loaded: the message says why (shown to the user)."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dump_boosted(model) -> tuple[bytes, str]:
    """(skops bytes, their sha256) of a fitted HistGradientBoostingClassifier."""
    import skops.io as sio

    data = sio.dumps(model)
    return data, sha256(data)


def check_archive(data: bytes) -> None:
    """Raises :class:`ArtefactRejected` unless ``data`` is a zip archive within the limits.
    Reads only the archive's directory: nothing is decompressed."""
    if len(data) > MAX_ARTEFACT_BYTES:
        raise ArtefactRejected(f"the artefact is {len(data)} bytes, over the limit of {MAX_ARTEFACT_BYTES}")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ArtefactRejected("the artefact is not a skops file (not a zip archive)") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise ArtefactRejected(f"the artefact has {len(members)} members, over the limit of {MAX_MEMBERS}")
        if "schema.json" not in {m.filename for m in members}:
            raise ArtefactRejected("the artefact is not a skops file (no schema.json)")
        total = 0
        for member in members:
            total += member.file_size
            if member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1):
                raise ArtefactRejected(
                    f"the artefact's member {member.filename!r} expands {member.file_size} bytes from "
                    f"{member.compress_size} (ratio over {MAX_COMPRESSION_RATIO}): refused as a zip bomb")
        if total > MAX_UNCOMPRESSED_BYTES:
            raise ArtefactRejected(
                f"the artefact expands to {total} bytes, over the limit of {MAX_UNCOMPRESSED_BYTES}: refused")


def load_boosted(data: bytes, expected_sha256: str):
    """The HistGradientBoostingClassifier in ``data``, after checking its sha256, its archive and its types."""
    if sha256(data) != expected_sha256:
        raise ArtefactRejected("the artefact's sha256 does not match the one recorded: it was changed, refused")
    check_archive(data)
    import skops.io as sio
    from sklearn.ensemble import HistGradientBoostingClassifier

    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as error:  # a malformed schema.json
        raise ArtefactRejected(f"the artefact is not a readable skops file ({type(error).__name__})") from None
    unexpected = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if unexpected:
        raise ArtefactRejected(f"the artefact contains types that are not trusted: {', '.join(unexpected)}")
    try:
        model = sio.loads(data, trusted=list(TRUSTED_TYPES))
    except Exception as error:
        raise ArtefactRejected(f"the artefact could not be loaded ({type(error).__name__})") from None
    if type(model) is not HistGradientBoostingClassifier:
        raise ArtefactRejected(f"the artefact holds a {type(model).__name__}, not a HistGradientBoostingClassifier")
    return model
