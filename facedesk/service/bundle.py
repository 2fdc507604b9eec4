"""The portable library bundle: a whole facedesk library in one zip file, and back.

Format (``docs/library-bundle.md`` is the reference):

- ``manifest.json``: format name and version, facedesk version, schema revision, the
  tables and columns carried, and one entry per collection (CollectionId, folder, counts);
- ``collections/NNNN/rows.json``: the collection's rows, table by table (collections,
  images, users with display names, faces without descriptors, index records with the
  full IndexFaces response: boxes, landmarks, pose, quality, measurements), timestamps as
  ISO 8601 text;
- ``collections/NNNN/embeddings.npy``: the face descriptors, float32 little-endian,
  row i belongs to ``faces[i]`` of rows.json;
- ``collections/NNNN/thumbnails/FACEID.jpg``: the stored face thumbnails.

Import is one transaction for the whole bundle: all collections or none. A CollectionId
that the library already has is refused (nothing is imported) unless ``rename`` is asked
for, which imports it as ``ID_imported`` (then ``ID_imported_2``, ...).
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from facedesk import __version__
from facedesk.core.errors import InvalidParameterException, ResourceAlreadyExistsException
from facedesk.service.context import ServiceContext, collection_arn

FORMAT = "facedesk-library"
FORMAT_VERSION = 1
_EMBEDDING = "faces.embedding"
_THUMBNAIL = "face_thumbnails.jpeg"
_COLLECTION_ID_MAX = 255


def _folder(i: int) -> str:
    return f"collections/{i:04d}"


def export_library(
    ctx: ServiceContext, path: str | os.PathLike[str], collection_ids: Sequence[str] = ()
) -> dict[str, Any]:
    """Write the library (or the named collections) to ``path``; returns the manifest.

    Written to a temporary file beside ``path`` and renamed, so a failed export leaves no
    half-written bundle behind; the file is readable by its owner only."""
    from facedesk.storage.portable import encode, table_columns

    target = Path(path)
    entries = []
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        # Readable by its owner only, like the database: it holds every face descriptor.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with (
            os.fdopen(fd, "wb") as fh,
            zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf,
            ctx.db.unit_of_work(read_only=True) as uow,  # one snapshot of the whole library
        ):
            ids = list(collection_ids) or uow.collections.ids()
            for i, cid in enumerate(ids):
                rows, blobs = encode(uow.portable.dump(cid))
                folder = _folder(i)
                embeddings = blobs.pop(_EMBEDDING, [])
                # (faces, 128); a collection without faces gives a (0, 0) matrix
                flat = np.frombuffer(b"".join(embeddings), dtype="<f4")
                matrix = flat.reshape(len(embeddings), -1 if embeddings else 0)
                buf = io.BytesIO()
                np.save(buf, matrix, allow_pickle=False)
                zf.writestr(f"{folder}/embeddings.npy", buf.getvalue())
                thumbs = blobs.pop(_THUMBNAIL, [])
                for row, jpeg in zip(rows.get("face_thumbnails", []), thumbs, strict=True):
                    zf.writestr(f"{folder}/thumbnails/{row['face_id']}.jpg", jpeg)
                if blobs:
                    raise RuntimeError(f"no place in the bundle for {sorted(blobs)}")
                zf.writestr(f"{folder}/rows.json", json.dumps(rows, ensure_ascii=False))
                entries.append(
                    {
                        "CollectionId": cid,
                        "Folder": folder,
                        "Faces": len(rows.get("faces", [])),
                        "Users": len(rows.get("users", [])),
                        "Images": len(rows.get("index_records", [])),
                    }
                )
            manifest = {
                "Format": FORMAT,
                "FormatVersion": FORMAT_VERSION,
                "FacedeskVersion": __version__,
                "SchemaRevision": ctx.db.current_revision(),
                "CreatedAt": datetime.now(UTC).isoformat(),
                "Tables": table_columns(),
                "Collections": entries,
            }
            zf.writestr("manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False))
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return manifest


def _read_manifest(zf: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads(zf.read("manifest.json"))
    except (KeyError, ValueError) as exc:
        raise InvalidParameterException("not a facedesk library bundle (no manifest)") from exc
    if manifest.get("Format") != FORMAT:
        raise InvalidParameterException("not a facedesk library bundle")
    if manifest.get("FormatVersion", 0) > FORMAT_VERSION:
        raise InvalidParameterException(
            f"the bundle is format {manifest['FormatVersion']}, newer than this facedesk "
            f"reads ({FORMAT_VERSION}): update facedesk"
        )
    return manifest


def _free_id(wanted: str, taken: set[str]) -> str:
    base = f"{wanted}_imported"[:_COLLECTION_ID_MAX]
    candidate, n = base, 2
    while candidate in taken:
        suffix = f"_{n}"
        candidate = base[: _COLLECTION_ID_MAX - len(suffix)] + suffix
        n += 1
    return candidate


def _collection_rows(zf: zipfile.ZipFile, folder: str) -> dict[str, list[dict[str, Any]]]:
    from facedesk.storage.portable import decode

    try:
        rows = json.loads(zf.read(f"{folder}/rows.json"))
        matrix = np.load(io.BytesIO(zf.read(f"{folder}/embeddings.npy")), allow_pickle=False)
    except (KeyError, ValueError, OSError, zipfile.BadZipFile) as exc:
        raise InvalidParameterException(f"the bundle's {folder} is damaged: {exc}") from exc
    faces = rows.get("faces", [])
    if matrix.shape[0] != len(faces):
        raise InvalidParameterException(
            f"{folder}: {matrix.shape[0]} descriptors for {len(faces)} faces"
        )
    try:
        thumbnails = [
            zf.read(f"{folder}/thumbnails/{row['face_id']}.jpg")
            for row in rows.get("face_thumbnails", [])
        ]
    except KeyError as exc:
        raise InvalidParameterException(f"the bundle's {folder} misses a thumbnail: {exc}") from exc
    blobs: dict[str, list[bytes]] = {
        _EMBEDDING: [np.ascontiguousarray(v, dtype="<f4").tobytes() for v in matrix],
        _THUMBNAIL: thumbnails,
    }
    try:
        return decode(rows, blobs)
    except ValueError as exc:
        raise InvalidParameterException(str(exc)) from exc


def import_library(
    ctx: ServiceContext, path: str | os.PathLike[str], *, rename: bool = False
) -> list[dict[str, Any]]:
    """Add the bundle's collections to this library; returns one entry per collection with
    the CollectionId it was given. All or nothing: one transaction."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidParameterException(f"cannot read the bundle {path}: {exc}") from exc
    with zf:
        manifest = _read_manifest(zf)
        results = []
        with ctx.db.unit_of_work() as uow:
            taken = set(uow.collections.ids())
            for entry in manifest["Collections"]:
                wanted = entry["CollectionId"]
                cid = wanted
                if wanted in taken:
                    if not rename:
                        raise ResourceAlreadyExistsException(
                            f"The collection id: {wanted} already exists in this library; "
                            "nothing was imported (import with rename to add it as a copy)"
                        )
                    cid = _free_id(wanted, taken)
                rows = _collection_rows(zf, entry["Folder"])
                uow.portable.load(cid, collection_arn(cid), rows)
                taken.add(cid)
                results.append({**entry, "CollectionId": cid, "FromCollectionId": wanted})
            uow.commit()
    return results
