"""Uploaded files land only in the server's own data folder, under names the server chooses."""

from __future__ import annotations

import re
import time
from pathlib import Path

from fastapi import UploadFile

from netretain.web.errors import TooLarge

CHUNK = 1024 * 1024
FORMATS = (".csv", ".parquet")


def safe_name(text: str) -> str:
    """A file-name component made of letters, digits, dot, dash and underscore only."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", Path(text).name).lstrip(".")
    return cleaned[:80] or "upload"


def suffix(filename: str | None) -> str:
    """The upload's format from its name (.csv unless it says .parquet)."""
    return ".parquet" if (filename or "").lower().endswith(".parquet") else ".csv"


def new_folder(root: Path) -> Path:
    """A fresh folder for one upload inside `root/uploads`."""
    base = root / "uploads"
    base.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    for n in range(1000):
        folder = base / f"{stamp}-{n:03d}"
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue
    raise TooLarge("too many uploads this second; retry")


async def save(upload: UploadFile, folder: Path, kind: str, budget: int) -> tuple[Path, int]:
    """Stream one upload to `folder/KIND.ext`, stopping at `budget` bytes (413 beyond)."""
    target = folder / f"{safe_name(kind)}{suffix(upload.filename)}"
    written = 0
    with target.open("wb") as out:
        while chunk := await upload.read(CHUNK):
            written += len(chunk)
            if written > budget:
                raise TooLarge("the upload is over the server's size limit (--max-upload-mb)")
            out.write(chunk)
    return target, written
