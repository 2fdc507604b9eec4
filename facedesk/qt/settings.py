"""What the app remembers between runs (QSettings), as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

DETECTION_ATTRIBUTE_CHOICES = ("DEFAULT", "ALL")
RECENT_LIBRARIES = 8


@dataclass(frozen=True)
class IndexSettings:
    max_faces: int | None = None
    quality_filter: str = "AUTO"
    detection_attributes: str = "DEFAULT"
    detector: str = "hog"
    external_image_id_from_filename: bool = True

    def to_options(self) -> Any:
        from facedesk.service.indexing import IndexOptions

        return IndexOptions(
            max_faces=self.max_faces,
            quality_filter=self.quality_filter,
            detection_attributes=(self.detection_attributes,),
            detector=self.detector,
            external_image_id_from_filename=self.external_image_id_from_filename,
            local_analysis=False,  # keep dlib (which holds the GIL) off the UI's process
        )


@dataclass(frozen=True)
class UiState:
    collection: str = ""
    view: str = ""  # one of main_window.VIEWS
    sort: str = ""  # a photo sort key
    filter: str = ""  # the photos' filter text


class AppSettings:
    def __init__(self, settings: QSettings | None = None) -> None:
        self.q = settings or QSettings("facedesk", "facedesk")

    def index_settings(self) -> IndexSettings:
        q, d = self.q, IndexSettings()
        raw_max = q.value("index/max_faces", 0)
        max_faces = int(str(raw_max)) if raw_max not in (None, "") else 0
        return IndexSettings(
            max_faces=max_faces or None,
            quality_filter=str(q.value("index/quality_filter", d.quality_filter)),
            detection_attributes=str(q.value("index/detection_attributes", d.detection_attributes)),
            detector=str(q.value("index/detector", d.detector)),
            external_image_id_from_filename=str(
                q.value("index/external_id_from_filename", "true")
            ).lower()
            == "true",
        )

    def set_index_settings(self, s: IndexSettings) -> None:
        self.q.setValue("index/max_faces", s.max_faces or 0)
        self.q.setValue("index/quality_filter", s.quality_filter)
        self.q.setValue("index/detection_attributes", s.detection_attributes)
        self.q.setValue("index/detector", s.detector)
        self.q.setValue(
            "index/external_id_from_filename",
            "true" if s.external_image_id_from_filename else "false",
        )

    def window_state(self) -> tuple[QByteArray | None, QByteArray | None]:
        g, s = self.q.value("window/geometry"), self.q.value("window/state")
        return (g if isinstance(g, QByteArray) else None, s if isinstance(s, QByteArray) else None)

    def set_window_state(self, geometry: QByteArray, state: QByteArray) -> None:
        self.q.setValue("window/geometry", geometry)
        self.q.setValue("window/state", state)

    def ui_state(self) -> UiState:
        """What the user was looking at when the app last closed."""
        q = self.q
        return UiState(
            collection=str(q.value("ui/collection", "") or ""),
            view=str(q.value("ui/view", "") or ""),
            sort=str(q.value("ui/sort", "") or ""),
            filter=str(q.value("ui/filter", "") or ""),
        )

    def set_ui_value(self, key: str, value: str) -> None:
        """Remember one part of UiState at once, so a crash keeps what was chosen so far."""
        if key not in UiState.__dataclass_fields__:
            raise KeyError(key)
        self.q.setValue(f"ui/{key}", value)

    def value(self, key: str, default: Any = None) -> Any:
        return self.q.value(key, default)

    def set_value(self, key: str, value: Any) -> None:
        self.q.setValue(key, value)

    # -- the library (File ▸ Open library) -------------------------------------------------
    def library(self) -> str:
        """The library the app opened last ('' for the default one)."""
        return str(self.q.value("library/current", "") or "")

    def recent_libraries(self) -> list[str]:
        raw = str(self.q.value("library/recent", "") or "")
        return [line for line in raw.splitlines() if line]

    def set_library(self, database: str) -> None:
        """Remember ``database`` as the library to open next, first among the recent ones.
        A URL's password is not written here: it belongs in ~/.pgpass."""
        from facedesk.service.library import forget_password

        kept = forget_password(database)
        recent = [kept, *(d for d in self.recent_libraries() if d != kept)][:RECENT_LIBRARIES]
        self.q.setValue("library/current", kept)
        self.q.setValue("library/recent", "\n".join(recent))
