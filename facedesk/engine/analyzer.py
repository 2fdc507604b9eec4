"""FaceAnalyzer: decoded picture -> measured faces (box, landmarks, pose, quality, descriptor).

Per face, everything after detection runs on the best pixels the decoder kept
(``DecodedImage.pixels``), not on the resized detection picture:

1. 68-point landmarks (``shape_predictor_68_face_landmarks``) in the detector's box.
2. The 30 Rekognition landmarks (``landmarks.py``), pose (``pose.py``; under 7.0 Yaw
   comes from the presence check's face mesh, ``pose.mesh_yaw``), quality and confidence
   (``measures.py``).
3. The 128-d descriptor as face_recognition computes it: the 5-point predictor's shape in
   the same box, the 150x150 chip ``compute_face_descriptor(img, shape, num_jitters=1)``
   cuts (``get_face_chip(img, shape, 150, 0.25)``), and dlib's ResNet, run for all chips
   of the photo in one onnxruntime call (``descriptor_net``), so distances match dlib's 0.6
   same-person threshold. Returned as float32.
4. Attributes through ``facedesk.engine.attributes.estimate`` when they are asked for.

Before any of that, every detection must pass a face-presence check (MediaPipe's face
mesh, ``attributes.face_presence``): HOG fires on face-like texture (the mission patch on
skimage's astronaut scores 0.01; all 90 real faces of the dev photos score >= 0.97), and a
false face would otherwise be indexed, searched and given attributes. The score is kept in
``DetectedFace.extras["face_presence"]``.

The ``libfacedetection`` detector (FaceModelVersion 7.0, ``cnn_detect``) finds turned and
rotated faces too. Its boxes are mapped to dlib's box convention first, so everything
above runs unchanged. When the upright picture gives no face, the picture turned by 90,
180 and 270 degrees is tried (pixels turned without EXIF orientation): the first turn that
gives faces wins, landmarks, pose and descriptors are measured on the turned pixels (the
predictors expect upright faces), and boxes and landmarks are mapped back to ratios of
the photo as stored (``turns``); ``extras["turn"]`` says by how many degrees the picture
was turned counter-clockwise to find the face.

Models are per thread (``dlib_models``), so one FaceAnalyzer may be used from many threads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from facedesk.core.types import BoundingBox, DecodedImage, DetectedFace, PixelBox
from facedesk.engine import dlib_models
from facedesk.engine.attr_models import mesh_run
from facedesk.engine.attributes import PRESENCE_THRESHOLD, estimate
from facedesk.engine.cnn_detect import TURN_PROBE_THRESHOLD, detect_cnn, turn_probe
from facedesk.engine.descriptor_net import CHIP_PADDING, CHIP_SIZE
from facedesk.engine.detect import Detection, detect, detection_scale
from facedesk.engine.landmarks import rekognition_landmarks
from facedesk.engine.measures import (
    calibrated_cnn_confidence,
    calibrated_confidence,
    face_quality,
)
from facedesk.engine.pose import head_pose, mesh_yaw, mesh_yaw_raw
from facedesk.engine.turns import (
    TURNS,
    ratio_to_pixels,
    unturn_box,
    unturn_landmark,
    unturn_pose,
)
from facedesk.engine.versions import CNN_DETECTOR

# "hog" and "cnn" (dlib's MMOD) are FaceModelVersion 1.0's detectors.
DETECTORS = frozenset({"hog", "cnn", CNN_DETECTOR})
TURN_THRESHOLD = 90.0

# A score far above any HOG or CNN score, so calibrated_confidence gives 100.
USER_DRAWN_SCORE = 10.0


class FaceAnalyzer:
    """Detects and measures faces; safe to share between threads (models are per thread)."""

    def __init__(self, detector: str = "hog") -> None:
        if detector not in DETECTORS:
            raise ValueError(f"unknown detector {detector!r}; use one of {sorted(DETECTORS)}")
        self.detector = detector

    def analyze(
        self,
        image: DecodedImage,
        *,
        detector: str | None = None,
        attributes: frozenset[str] = frozenset(),
        descriptors: bool = True,
    ) -> list[DetectedFace]:
        """Every face found, in detector order (best score first), measured.

        ``descriptors=False`` skips the ResNet descriptor (about 8 ms a face) for callers
        that only describe faces, like DetectFaces; ``descriptor`` is then an empty array.
        """
        which = detector or self.detector
        if which not in DETECTORS:
            raise ValueError(f"unknown detector {which!r}; use one of {sorted(DETECTORS)}")
        rgb = np.ascontiguousarray(image.pixels, dtype=np.uint8)
        if which != CNN_DETECTOR:
            ph, pw = rgb.shape[:2]
            scale = detection_scale(pw, ph, image.width, image.height, which)
            return self._faces(rgb, image, detect(rgb, scale, which), attributes, descriptors)
        cnn = calibrated_cnn_confidence
        found = detect_cnn(rgb, image.width, image.height)
        faces = self._faces(rgb, image, found, attributes, descriptors, cnn, mesh_pose=True)
        if faces:
            return faces
        # A turned picture is trusted only when its best face scores TURN_THRESHOLD, and
        # only the best of the three turns is measured: turned textures look more like
        # faces (dogs.jpg turned 270 degrees scores 87 and passes the presence check;
        # every rotated portrait of the dev set scores 94 on its right turn). A turn runs
        # at full scale only when a probe at half scale nominates it (cnn_detect module doc).
        probes = turn_probe(rgb, image.width, image.height, TURNS)
        best: tuple[float, int, npt.NDArray[np.uint8], list[Detection]] | None = None
        for k in (k for k in TURNS if probes[k] >= TURN_PROBE_THRESHOLD):
            turned = np.ascontiguousarray(np.rot90(rgb, k))
            tw, th = (image.height, image.width) if k % 2 else (image.width, image.height)
            dets = detect_cnn(turned, tw, th)
            top = max((d.score for d in dets), default=0.0)
            if top >= TURN_THRESHOLD and (best is None or top > best[0]):
                best = (top, k, turned, dets)
        if best is None:
            return []
        _top, k, turned, dets = best
        timage = replace(
            image,
            pixels=turned,
            width=image.height if k % 2 else image.width,
            height=image.width if k % 2 else image.height,
        )
        faces = self._faces(turned, timage, dets, attributes, descriptors, cnn, mesh_pose=True)
        return [_unturned(f, k, image.width, image.height) for f in faces]

    def _faces(
        self,
        rgb: npt.NDArray[np.uint8],
        image: DecodedImage,
        found: list[Detection],
        attributes: frozenset[str],
        descriptors: bool,
        calibrate: Callable[[float], float] = calibrated_confidence,
        mesh_pose: bool = False,
    ) -> list[DetectedFace]:
        """The detections that pass the presence check, measured, with descriptors.

        ``mesh_pose`` (the libfacedetection path, 7.0) takes Yaw from the presence check's
        face mesh (``pose.mesh_yaw``); 1.0 keeps the 68-point fit's, so a collection's
        measures do not change under it."""
        faces: list[DetectedFace] = []
        chips: list[npt.NDArray[np.uint8]] = []
        present = [(det, *_presence(rgb, det)) for det in found]
        present = [p for p in present if p[1] >= PRESENCE_THRESHOLD]
        # The shape predictors run for all faces at once (the same points as one by one;
        # a photo of 24 faces spent more on the numpy calls than on their arithmetic).
        rects = [_rect(det) for det, _, _ in present]
        shapes68 = dlib_models.get("sp68").many(rgb, rects)
        shapes5 = dlib_models.get("sp5").many(rgb, rects) if descriptors else None
        for i, (det, presence, mesh) in enumerate(present):
            measured = self._measure(
                rgb,
                image,
                det,
                attributes,
                presence,
                descriptors,
                calibrate,
                mesh if mesh_pose else None,
                shapes=(shapes68[i], None if shapes5 is None else shapes5[i]),
            )
            if measured is not None:
                faces.append(measured[0])
                if measured[1] is not None:
                    chips.append(measured[1])
        if not chips:
            return faces
        vectors = dlib_models.get("resnet").compute(np.stack(chips))
        return [replace(f, descriptor=v) for f, v in zip(faces, vectors, strict=True)]

    def measure_box(
        self,
        image: DecodedImage,
        box: BoundingBox,
        *,
        attributes: frozenset[str] = frozenset(),
        mesh_pose: bool = False,
    ) -> DetectedFace:
        """A face a person drew (ratios of the full image): the same measures and descriptor
        as a detected face, with no detector involved; ``mesh_pose`` as for 7.0's detected
        faces (a face drawn into a 7.0 collection). Raises ValueError when no face shape
        fits the box (the head pose cannot be solved)."""
        rgb = np.ascontiguousarray(image.pixels, dtype=np.uint8)
        ph, pw = rgb.shape[:2]
        left, top = box.left * pw, box.top * ph
        right, bottom = left + box.width * pw, top + box.height * ph
        if right - left < 8 or bottom - top < 8:
            raise ValueError("the box is too small to measure a face in")
        # a person vouches for it: the top detector score, so Confidence reads 100
        det = Detection(left, top, right, bottom, score=USER_DRAWN_SCORE)
        presence, mesh = _presence(rgb, det)
        measured = self._measure(
            rgb, image, det, attributes, presence, mesh=mesh if mesh_pose else None
        )
        if measured is None or measured[1] is None:
            raise ValueError("no face could be measured in the box")
        face, chip = measured[0], measured[1]
        vector = dlib_models.get("resnet").compute(np.stack([chip]))[0]
        extras = MappingProxyType({**face.extras, "user_drawn": 1.0})
        return replace(face, descriptor=vector, bounding_box=box, extras=extras)

    def _measure(
        self,
        rgb: npt.NDArray[np.uint8],
        image: DecodedImage,
        det: Detection,
        requested: frozenset[str],
        presence: float,
        with_descriptor: bool = True,
        calibrate: Callable[[float], float] = calibrated_confidence,
        mesh: npt.NDArray[np.float32] | None = None,
        shapes: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64] | None] | None = None,
    ) -> tuple[DetectedFace, npt.NDArray[np.uint8] | None] | None:
        """The measured face (descriptor still empty) and, if wanted, its descriptor chip.

        With ``mesh`` (the face mesh's points for this box), Yaw comes from the mesh;
        ``shapes``: the 68- and 5-point shapes in the box when already predicted."""
        import dlib

        ph, pw = rgb.shape[:2]
        rect = _rect(det)
        known68, known5 = shapes if shapes is not None else (None, None)
        pts68 = known68 if known68 is not None else dlib_models.get("sp68")(rgb, rect)
        pts = pts68.astype(np.float64)
        pose = head_pose(pts, pw, ph)
        if pose is None:
            return None
        extras: dict[str, float] = {"face_presence": presence}
        if mesh is not None:
            # both kept, so a reader can see what the 68-point fit said
            extras["yaw_68"] = pose.yaw
            extras["yaw_mesh_raw"] = mesh_yaw_raw(mesh)
            pose = replace(pose, yaw=mesh_yaw(mesh))
        box_px = PixelBox(left=det.left, top=det.top, right=det.right, bottom=det.bottom)
        k = 1.0 / image.scale  # decoded pixels -> full-resolution pixels
        box = PixelBox(
            left=det.left * k, top=det.top * k, right=det.right * k, bottom=det.bottom * k
        )
        chip = None
        if with_descriptor:
            pts5 = known5 if known5 is not None else dlib_models.get("sp5")(rgb, rect)
            shape5 = dlib_models.full_object_detection(rect, pts5)
            chip = np.asarray(dlib.get_face_chip(rgb, shape5, CHIP_SIZE, CHIP_PADDING))
        attrs: Mapping[str, Any] = MappingProxyType({})
        if requested:
            found, measured = estimate(rgb, pts, box_px, pose, requested, presence)
            attrs = MappingProxyType(dict(found))
            extras.update(measured)
        face = DetectedFace(
            box=box,
            bounding_box=box.to_ratio(image.width, image.height),
            confidence=calibrate(det.score),
            detector_score=det.score,
            landmarks=rekognition_landmarks(pts, pw, ph),
            pose=pose,
            quality=face_quality(rgb, box_px),
            descriptor=np.zeros(0, dtype=np.float32),
            attributes=attrs,
            extras=MappingProxyType(extras),
        )
        return face, chip


def _rect(det: Detection) -> dlib_models.Rect:
    """The detection as dlib's inclusive integer rectangle (what the predictors take)."""
    return dlib_models.Rect(
        round(det.left), round(det.top), round(det.right) - 1, round(det.bottom) - 1
    )


def _presence(rgb: npt.NDArray[np.uint8], det: Detection) -> tuple[float, npt.NDArray[np.float32]]:
    """The face mesh's presence score for the box and its 468 points (one mesh run)."""
    box = PixelBox(left=det.left, top=det.top, right=det.right, bottom=det.bottom)
    return mesh_run(rgb, box)


def _unturned(face: DetectedFace, k: int, width: int, height: int) -> DetectedFace:
    """A face measured on the picture turned ``k`` times, in the stored photo's frame."""
    bounding_box = unturn_box(face.bounding_box, k)
    return replace(
        face,
        box=ratio_to_pixels(bounding_box, width, height),
        bounding_box=bounding_box,
        landmarks=tuple(unturn_landmark(m, k) for m in face.landmarks),
        pose=unturn_pose(face.pose, k),
        extras=MappingProxyType({**face.extras, "turn": 90.0 * k}),
    )
