"""Face regions in XMP, read and written by exiv2 (through pyexiv2, which ships it in its wheels).

facedesk never writes XML itself: exiv2's XMP toolkit serialises the packet. Keys are exiv2's
flat paths (``Xmp.mwg-rs.Regions/mwg-rs:RegionList[1]/mwg-rs:Name``); exiv2 maps whatever
namespace prefixes a writer chose (digiKam, Lightroom, Picasa, exiftool) onto these.

Writing is always to a new file beside the target, then ``os.replace``: the original photo
or sidecar is either the old file or the new one, never half written.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from facedesk.core.regions import (
    Region,
    from_mp_rectangle,
    mp_rectangle,
    mwg_area,
    ratio_box,
)

MWG = "Xmp.mwg-rs.Regions"
MP = "Xmp.MP.RegionInfo"
_MWG_LIST = f"{MWG}/mwg-rs:RegionList"
_MP_LIST = f"{MP}/MPRI:Regions"
# exiv2 reads a text value that starts with type="..." as an array/struct declaration.
_TYPE_PREFIX = re.compile(r"^\s*type\s*=", re.IGNORECASE)

# pyexiv2 keeps exiv2's error log and XMP toolkit state in globals: one call at a time.
_LOCK = threading.Lock()


class XmpError(Exception):
    """A file's XMP could not be read or written; the message says why."""


@dataclass(frozen=True)
class RegionSet:
    """What a file says about its regions.

    ``applied_to`` is MWG's AppliedToDimensions (w, h) in pixels when given; ``source`` is
    "mwg" or "mp" (MWG wins when a file has both, as digiKam writes both for the same faces).
    """

    regions: tuple[Region, ...]
    applied_to: tuple[int, int] | None
    source: str | None


@dataclass(frozen=True)
class PhotoFacts:
    """The stored pixel size and EXIF orientation of a photo (metadata only, no decoding)."""

    width: int
    height: int
    orientation: int


def _pyexiv2() -> Any:
    import pyexiv2

    pyexiv2.set_log_level(4)  # mute exiv2's warnings on stderr; errors still raise
    return pyexiv2


def photo_facts(path: Path) -> PhotoFacts:
    with _LOCK:
        try:
            img = _pyexiv2().Image(str(path))
        except (RuntimeError, OSError) as exc:
            raise XmpError(f"cannot read the metadata of {path}: {exc}") from exc
        try:
            raw = img.read_exif().get("Exif.Image.Orientation", "1")
            width, height = img.get_pixel_width(), img.get_pixel_height()
        finally:
            img.close()
    try:
        orientation = int(str(raw).split()[0])
    except (ValueError, IndexError):
        orientation = 1
    return PhotoFacts(int(width), int(height), orientation)


# -- reading -------------------------------------------------------------------------------


def _float(value: Any) -> float:
    return float(str(value).strip())


def _items(xmp: Mapping[str, Any], list_key: str) -> list[dict[str, Any]]:
    """Bag items as {field name without prefix: value}, in order."""
    found: dict[int, dict[str, Any]] = {}
    pattern = re.compile(re.escape(list_key) + r"\[(\d+)\]/(.+)$")
    for key, value in xmp.items():
        m = pattern.match(key)
        if m:
            found.setdefault(int(m.group(1)), {})[m.group(2)] = value
    return [found[i] for i in sorted(found)]


def _field(item: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if name in item:
            return item[name]
    return None


def _name(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _mwg_regions(xmp: Mapping[str, Any]) -> tuple[list[Region], tuple[int, int] | None]:
    dims = f"{MWG}/mwg-rs:AppliedToDimensions/stDim:"
    applied: tuple[int, int] | None = None
    try:
        applied = (round(_float(xmp[dims + "w"])), round(_float(xmp[dims + "h"])))
    except (KeyError, ValueError):
        applied = None
    regions: list[Region] = []
    for item in _items(xmp, _MWG_LIST):
        area = "mwg-rs:Area/stArea:"
        try:
            x, y, w, h = (_float(item[area + k]) for k in "xywh")
        except (KeyError, ValueError):
            continue  # a region without a usable area (a name-only tag) places no face
        try:
            box = ratio_box(x, y, w, h, _field(item, area + "unit"), applied)
        except ValueError:
            continue
        kind = _field(item, "mwg-rs:Type") or "Face"
        regions.append(Region(box=box, name=_name(_field(item, "mwg-rs:Name")), type=kind))
    return regions, applied


def _mp_regions(xmp: Mapping[str, Any]) -> list[Region]:
    regions: list[Region] = []
    for item in _items(xmp, _MP_LIST):
        rect = _field(item, "MPReg:Rectangle")
        if rect is None:
            continue
        try:
            box = from_mp_rectangle(str(rect))
        except ValueError:
            continue
        regions.append(Region(box=box, name=_name(_field(item, "MPReg:PersonDisplayName"))))
    return regions


def region_set_from_xmp(xmp: Mapping[str, Any]) -> RegionSet:
    mwg, applied = _mwg_regions(xmp)
    if mwg:
        return RegionSet(tuple(mwg), applied, "mwg")
    mp = _mp_regions(xmp)
    if mp:
        return RegionSet(tuple(mp), None, "mp")
    return RegionSet((), applied, None)


def read_regions(path: Path) -> RegionSet:
    """The face regions a photo or an XMP sidecar holds (empty when it holds none)."""
    with _LOCK:
        try:
            img = _pyexiv2().ImageData(path.read_bytes())
        except OSError as exc:
            raise XmpError(f"cannot read {path}: {exc.strerror or exc}") from exc
        except RuntimeError as exc:
            raise XmpError(f"cannot read the metadata of {path}: {exc}") from exc
        try:
            xmp = img.read_xmp()
        except RuntimeError as exc:
            raise XmpError(f"cannot parse the XMP of {path}: {exc}") from exc
        finally:
            img.close()
    return region_set_from_xmp(xmp)


# -- writing -------------------------------------------------------------------------------


def _regions_changes(regions: Sequence[Region], applied_to: tuple[int, int]) -> dict[str, Any]:
    """exiv2 keys for both notations; each struct and bag is declared before its members.
    No regions: no keys (an empty RegionList reads back as an empty string in exiftool)."""
    mwg: dict[str, Any] = {}
    mp: dict[str, Any] = {}
    people = 0
    for i, region in enumerate(regions, start=1):
        if region.name and _TYPE_PREFIX.match(region.name):
            raise XmpError(f"a person name cannot start with 'type=': {region.name!r}")
        item = f"{_MWG_LIST}[{i}]"
        mwg[item] = 'type="Struct"'
        mwg[f"{item}/mwg-rs:Area"] = 'type="Struct"'
        for key, value in zip("xywh", mwg_area(region.box), strict=True):
            mwg[f"{item}/mwg-rs:Area/stArea:{key}"] = f"{value:.6f}"
        mwg[f"{item}/mwg-rs:Area/stArea:unit"] = "normalized"
        mwg[f"{item}/mwg-rs:Type"] = region.type
        if region.name:
            mwg[f"{item}/mwg-rs:Name"] = region.name
        # Microsoft's schema has people regions only; other region types stay MWG-only.
        if region.type != "Face":
            continue
        people += 1
        mp_item = f"{_MP_LIST}[{people}]"
        mp[mp_item] = 'type="Struct"'
        mp[f"{mp_item}/MPReg:Rectangle"] = mp_rectangle(region.box)
        if region.name:
            mp[f"{mp_item}/MPReg:PersonDisplayName"] = region.name
    changes: dict[str, Any] = {}
    if mwg:
        changes[MWG] = 'type="Struct"'
        dims = f"{MWG}/mwg-rs:AppliedToDimensions"
        changes[dims] = 'type="Struct"'
        changes[f"{dims}/stDim:w"] = str(applied_to[0])
        changes[f"{dims}/stDim:h"] = str(applied_to[1])
        changes[f"{dims}/stDim:unit"] = "pixel"
        changes[_MWG_LIST] = 'type="Bag"'
        changes.update(mwg)
    if mp:
        changes[MP] = 'type="Struct"'
        changes[_MP_LIST] = 'type="Bag"'
        changes.update(mp)
    return changes


def _apply(img: Any, regions: tuple[Region, ...], applied_to: tuple[int, int]) -> None:
    old = [k for k in img.read_xmp() if k.startswith((MWG, MP))]
    if old:  # drop the previous regions whole, then write the merged list
        img.modify_xmp(dict.fromkeys(old))
    changes = _regions_changes(regions, applied_to)
    if changes:
        img.modify_xmp(changes)


def _blank_jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (8, 8)).save(buf, "JPEG")
    return buf.getvalue()


def _replace_atomically(target: Path, data: bytes, mode_from: Path | None) -> None:
    """Write ``data`` to a temporary file beside ``target``, flush it, then rename it over."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode_from is not None and mode_from.exists():
            os.chmod(tmp, mode_from.stat().st_mode & 0o7777)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _os_error(path: Path, exc: OSError) -> XmpError:
    return XmpError(f"cannot write {path}: {exc.strerror or exc}")


def write_sidecar(
    path: Path, regions: tuple[Region, ...], applied_to: tuple[int, int], photo: Path
) -> None:
    """Create or update an XMP sidecar; its other metadata (tags, ratings) is kept.

    A new sidecar gets the photo's permission bits (readable by whoever reads the photo)."""
    with _LOCK:
        pyexiv2 = _pyexiv2()
        try:
            existing = path.read_bytes() if path.exists() else None
            if existing is not None:
                img = pyexiv2.ImageData(existing)
                try:
                    _apply(img, regions, applied_to)
                    data = img.get_bytes()
                finally:
                    img.close()
            else:
                # A packet that exiv2 serialised for a blank picture is a complete sidecar.
                img = pyexiv2.ImageData(_blank_jpeg())
                try:
                    _apply(img, regions, applied_to)
                    data = img.read_raw_xmp().encode("utf-8")
                finally:
                    img.close()
        except OSError as exc:
            raise _os_error(path, exc) from exc
        except RuntimeError as exc:
            raise XmpError(f"cannot write regions into {path}: {exc}") from exc
    try:
        _replace_atomically(path, data, path if path.exists() else photo)
    except OSError as exc:
        raise _os_error(path, exc) from exc


def write_embedded(path: Path, regions: tuple[Region, ...], applied_to: tuple[int, int]) -> None:
    """Write the regions into the photo itself: a new copy, then a rename over the original."""
    with _LOCK:
        try:
            img = _pyexiv2().ImageData(path.read_bytes())
        except OSError as exc:
            raise XmpError(f"cannot read {path}: {exc.strerror or exc}") from exc
        except RuntimeError as exc:
            raise XmpError(f"cannot read the metadata of {path}: {exc}") from exc
        try:
            _apply(img, regions, applied_to)
            data = img.get_bytes()
        except RuntimeError as exc:
            raise XmpError(f"cannot write regions into {path}: {exc}") from exc
        finally:
            img.close()
    try:
        _replace_atomically(path, data, path)
    except OSError as exc:
        raise _os_error(path, exc) from exc
