"""The selected face: readable fields, the quality measurements, and the raw JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from PySide6.QtGui import QBrush, QColor, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from facedesk.qt.documents import FaceOverlay
from facedesk.qt.measurements import measure_rows, reasons_label

_OK, _BAD = QColor("#27ae60"), QColor("#e67e22")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _add_tree(parent: QTreeWidgetItem | QTreeWidget, key: str, value: Any) -> None:
    if isinstance(value, Mapping):
        # the common shapes read better on one line
        if set(value) in (
            {"Value", "Confidence"},
            {"Low", "High"},
            {"Width", "Height", "Left", "Top"},
            {"Roll", "Yaw", "Pitch"},
            {"Brightness", "Sharpness"},
        ):
            text = ", ".join(f"{k} {_fmt(v)}" for k, v in value.items())
            _leaf(parent, key, text)
            return
        node = _leaf(parent, key, "")
        for k, v in value.items():
            _add_tree(node, k, v)
    elif isinstance(value, list):
        if key == "Landmarks":
            node = _leaf(parent, key, f"{len(value)} points")
            for lm in value:
                _leaf(node, str(lm.get("Type")), f"X {_fmt(lm.get('X'))}, Y {_fmt(lm.get('Y'))}")
            return
        node = _leaf(parent, key, f"{len(value)} items" if value else "—")
        for i, v in enumerate(value):
            _add_tree(node, str(i), v)
    else:
        _leaf(parent, key, _fmt(value))


def _leaf(parent: QTreeWidgetItem | QTreeWidget, key: str, text: str) -> QTreeWidgetItem:
    item = QTreeWidgetItem([key, text])
    item.setToolTip(1, text)
    if isinstance(parent, QTreeWidget):
        parent.addTopLevelItem(item)
    else:
        parent.addChild(item)
    return item


class Inspector(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel("Select a face to see its details.")
        self.heading.setWordWrap(True)
        self.heading.setObjectName("inspectorHeading")
        self.fields = QTreeWidget()
        self.fields.setHeaderLabels(["Field", "Value"])
        self.fields.setColumnWidth(0, 150)
        self.quality = QTreeWidget()
        self.quality.setHeaderLabels(["Measure", "Value", "Needs"])
        self.quality.setRootIsDecorated(False)
        self.json_view = QPlainTextEdit(readOnly=True)
        self.json_view.setObjectName("json")
        self.copy_button = QPushButton("Copy JSON")
        self.copy_button.setEnabled(False)
        raw = QWidget()
        raw_layout = QVBoxLayout(raw)
        raw_layout.setContentsMargins(0, 0, 0, 0)
        raw_layout.addWidget(self.json_view)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.copy_button)
        raw_layout.addLayout(row)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.fields, "Fields")
        self.tabs.addTab(self.quality, "Quality")
        self.tabs.addTab(raw, "JSON")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.heading)
        layout.addWidget(self.tabs, 1)
        self.copy_button.clicked.connect(self._on_copy_clicked)

    # The FaceId shown ("" for none or for an unindexed face), so a delete can clear it.
    shown_face_id = ""

    def clear(self, heading: str = "Select a face to see its details.") -> None:
        self.shown_face_id = ""
        self.heading.setText(heading)
        self.fields.clear()
        self.quality.clear()
        self.json_view.clear()
        self.copy_button.setEnabled(False)

    def show_face(self, face: FaceOverlay) -> None:
        self.shown_face_id = face.face_id or ""
        if face.user_drawn:
            self.heading.setText(f"<b>Face drawn by hand</b><br><small>{face.face_id}</small>")
        elif face.indexed:
            self.heading.setText(f"<b>Indexed face</b><br><small>{face.face_id}</small>")
        else:
            self.heading.setText(
                "<b>Not indexed</b>: "
                f"{reasons_label(face.reasons)}<br><small>"
                f"{', '.join(face.reasons)}</small>"
            )
        raw: dict[str, Any] = {}
        if face.face is not None:
            raw["Face"] = dict(face.face)
        raw["FaceDetail"] = dict(face.detail)
        if face.reasons:
            raw["Reasons"] = list(face.reasons)
        self.show_raw(raw)
        self.quality.clear()
        for r in measure_rows(face.measurement):
            item = QTreeWidgetItem([r.name, r.value, r.rule])
            if r.passed is not None:
                item.setForeground(1, QBrush(_OK if r.passed else _BAD))
            self.quality.addTopLevelItem(item)

    def show_stored_face(self, face: Mapping[str, Any]) -> None:
        """A face picked in the faces grid: its Face shape (FaceDetail needs the photo)."""
        self.heading.setText(
            f"<b>{face.get('ExternalImageId', 'Face')}</b><br>"
            f"<small>{face.get('FaceId')}</small><br>"
            "<small>Double-click to open its photo with all details.</small>"
        )
        self.quality.clear()
        self.show_raw({"Face": dict(face)})
        self.shown_face_id = str(face.get("FaceId", ""))

    def show_raw(self, raw: Mapping[str, Any]) -> None:
        self.fields.clear()
        for k, v in raw.items():
            _add_tree(self.fields, k, v)
        self.fields.expandToDepth(0)
        self.json_view.setPlainText(json.dumps(raw, indent=2, default=str))
        self.copy_button.setEnabled(True)

    def _on_copy_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.json_view.toPlainText())
