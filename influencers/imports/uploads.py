"""Import bodies waiting for their background job, as files in the upload folder."""
from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from influencers.config import Settings

COPY_BLOCK = 1024 * 1024


def upload_dir(settings: Settings) -> Path:
    folder = Path(settings.upload_dir) if settings.upload_dir else Path(tempfile.gettempdir()) / "influencers-uploads"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def save_upload(settings: Settings, body: BinaryIO) -> str:
    """Copies ``body`` (from its start) into a new upload; returns the upload's name."""
    name = f"{secrets.token_hex(16)}.ndjson"
    body.seek(0)
    fd = os.open(upload_dir(settings) / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(body, out, COPY_BLOCK)
    return name


def upload_path(settings: Settings, name: str) -> Path:
    if Path(name).name != name or not name.endswith(".ndjson"):
        raise ValueError(f"not an upload name: {name!r}")
    return upload_dir(settings) / name


def delete_upload(settings: Settings, name: str) -> None:
    upload_path(settings, name).unlink(missing_ok=True)
