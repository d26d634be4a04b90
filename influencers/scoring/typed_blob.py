"""Typed blobs: what a chunked run's coordinator and its chunk tasks hand each other through
the database (:mod:`influencers.scoring.fan_out`), without pickle.

:func:`encode` turns a value built of numbers, strings, ``None``, numpy arrays and scalars,
lists, tuples, sets, dicts (any of these as keys), scipy CSR matrices and the scoring
dataclasses named in :data:`DATACLASSES` into one ``np.savez`` archive: the arrays as
members, the structure as a JSON manifest. :func:`decode` reads it back with
``allow_pickle=False`` and builds only the dataclasses of that list: a blob names no code to
run. Anything else (an object array of other than strings, another class) is refused when
encoding, so what cannot be read back is never written.
"""
from __future__ import annotations

import dataclasses
import io
import json
import math

import numpy as np
import scipy.sparse as sp

from influencers.errors import DomainError

# Bumped when the layout changes: a blob of another version is refused, not misread.
FORMAT_VERSION = 1


class BlobFormatError(DomainError):
    """A value that has no typed encoding, or a blob this code cannot read."""


def _dataclasses() -> dict[str, type]:
    from influencers.scoring.audience_peers import AudiencePeers, MemberStatistics
    from influencers.scoring.benchmarks import Benchmarks, BenchmarkTable
    from influencers.scoring.chunked_run import FirstPass, Plan
    from influencers.scoring.fraud import CommentGraph, FeaturingEdges
    from influencers.scoring.fraud_hidden import DripPeers
    from influencers.scoring.own_baseline import OwnBaselinePeers
    from influencers.scoring.peers import ActivityPeers

    classes = (FirstPass, Plan, ActivityPeers, Benchmarks, BenchmarkTable, DripPeers, OwnBaselinePeers,
               CommentGraph, FeaturingEdges, AudiencePeers, MemberStatistics)
    return {cls.__name__: cls for cls in classes}


def encode(value) -> bytes:
    """``value`` as one ``.npz`` archive (see the module docstring)."""
    arrays: dict[str, np.ndarray] = {}
    classes = _dataclasses()

    def array(values: np.ndarray) -> dict:
        name = f"a{len(arrays)}"
        if values.dtype == object:
            items = values.ravel().tolist()
            if not all(v is None or type(v) is str for v in items):
                raise BlobFormatError(f"an object array of {sorted({type(v).__name__ for v in items})} has no "
                                      f"typed encoding")
            arrays[name] = np.array(["" if v is None else v for v in items], dtype=str).reshape(values.shape)
            arrays[name + "n"] = np.array([v is None for v in items], dtype=bool).reshape(values.shape)
            return {"t": "strings", "a": name}
        arrays[name] = values
        return {"t": "array", "a": name}

    def walk(v):
        if v is None or type(v) in (bool, str):
            return v
        if type(v) is int:
            return {"t": "int", "v": str(v)}
        if type(v) is float:
            return {"t": "float", "v": repr(v) if not math.isfinite(v) else v}
        if isinstance(v, np.ndarray):
            return array(v)
        if isinstance(v, np.generic):
            return {"t": "scalar", "v": array(np.asarray(v))}
        if type(v) in (list, tuple):
            return {"t": type(v).__name__, "v": [walk(x) for x in v]}
        if type(v) in (set, frozenset):
            return {"t": type(v).__name__, "v": [walk(x) for x in v]}
        if type(v) is dict:
            return {"t": "dict", "v": [[walk(k), walk(x)] for k, x in v.items()]}
        if sp.issparse(v) and v.format == "csr":
            return {"t": "csr", "shape": list(v.shape), "data": array(v.data), "indices": array(v.indices),
                    "indptr": array(v.indptr)}
        if dataclasses.is_dataclass(v) and classes.get(type(v).__name__) is type(v):
            return {"t": "dataclass", "name": type(v).__name__,
                    "v": {f.name: walk(getattr(v, f.name)) for f in dataclasses.fields(v)}}
        raise BlobFormatError(f"a {type(v).__module__}.{type(v).__name__} has no typed encoding")

    manifest = {"version": FORMAT_VERSION, "value": walk(value)}
    arrays["manifest"] = np.frombuffer(json.dumps(manifest).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def decode(blob: bytes):
    """The value :func:`encode` wrote."""
    classes = _dataclasses()
    with np.load(io.BytesIO(blob), allow_pickle=False) as data:
        manifest = json.loads(data["manifest"].tobytes())
        if manifest.get("version") != FORMAT_VERSION:
            raise BlobFormatError(f"a blob of format {manifest.get('version')!r}; this code reads format "
                                  f"{FORMAT_VERSION}")

        def array(ref: dict) -> np.ndarray:
            values = data[ref["a"]]
            if ref["t"] == "strings":
                values = values.astype(object)
                values[data[ref["a"] + "n"]] = None
            return values

        def walk(v):
            if not isinstance(v, dict):
                return v
            kind = v["t"]
            if kind == "int":
                return int(v["v"])
            if kind == "float":
                return float(v["v"])
            if kind in ("array", "strings"):
                return array(v)
            if kind == "scalar":
                return array(v["v"])[()]
            if kind == "list":
                return [walk(x) for x in v["v"]]
            if kind == "tuple":
                return tuple(walk(x) for x in v["v"])
            if kind in ("set", "frozenset"):
                return (set if kind == "set" else frozenset)(walk(x) for x in v["v"])
            if kind == "dict":
                return {walk(k): walk(x) for k, x in v["v"]}
            if kind == "csr":
                return sp.csr_matrix((array(v["data"]), array(v["indices"]), array(v["indptr"])),
                                     shape=tuple(v["shape"]))
            if kind == "dataclass" and v["name"] in classes:
                return classes[v["name"]](**{name: walk(x) for name, x in v["v"].items()})
            raise BlobFormatError(f"a blob holding a {kind!r} {v.get('name', '')} this code does not build")

        return walk(manifest["value"])
