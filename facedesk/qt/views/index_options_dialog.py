"""IndexFaces options for drops and File ▸ Add photos (remembered by AppSettings)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from facedesk.core.quality import LEVELS, QUALITY_FILTERS
from facedesk.qt.settings import DETECTION_ATTRIBUTE_CHOICES, IndexSettings


def _filter_help(level: str) -> str:
    if level == "NONE":
        return "Every detected face is indexed."
    t = LEVELS[level]
    return (
        f"Leaves out faces with confidence < {t.min_confidence:g}, brightness < "
        f"{t.min_brightness:g}, sharpness < {t.min_sharpness:g}, |yaw| > {t.max_abs_yaw:g}°, "
        f"|pitch| > {t.max_abs_pitch:g}°, and boxes under the minimum face size."
    )


class IndexOptionsDialog(QDialog):
    def __init__(self, current: IndexSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Indexing options")
        self.max_faces = QSpinBox(minimum=0, maximum=100, value=current.max_faces or 0)
        self.max_faces.setSpecialValueText("No limit")
        self.quality = QComboBox()
        self.quality.addItems(list(QUALITY_FILTERS))
        self.quality.setCurrentText(current.quality_filter)
        self.quality_help = QLabel()
        self.quality_help.setWordWrap(True)
        self.quality_help.setObjectName("hint")
        self.attributes = QComboBox()
        self.attributes.addItems(list(DETECTION_ATTRIBUTE_CHOICES))
        self.attributes.setCurrentText(current.detection_attributes)
        self.detector = QComboBox()
        self.detector.addItem("HOG (fast, CPU)", "hog")
        self.detector.addItem("CNN (slower, finds more faces)", "cnn")
        self.detector.setCurrentIndex(max(0, self.detector.findData(current.detector)))
        self.external_id = QCheckBox("Use the file name as ExternalImageId")
        self.external_id.setChecked(current.external_image_id_from_filename)
        form = QFormLayout()
        form.addRow("MaxFaces", self.max_faces)
        form.addRow("QualityFilter", self.quality)
        form.addRow("", self.quality_help)
        form.addRow("DetectionAttributes", self.attributes)
        form.addRow("Detector", self.detector)
        form.addRow("", self.external_id)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.quality.currentTextChanged.connect(
            lambda t: self.quality_help.setText(_filter_help(t))
        )
        self.quality_help.setText(_filter_help(current.quality_filter))
        self.setMinimumWidth(460)

    def settings(self) -> IndexSettings:
        return IndexSettings(
            max_faces=self.max_faces.value() or None,
            quality_filter=self.quality.currentText(),
            detection_attributes=self.attributes.currentText(),
            detector=str(self.detector.currentData()),
            external_image_id_from_filename=self.external_id.isChecked(),
        )
