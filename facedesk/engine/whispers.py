"""dlib's chinese whispers clustering, the grouping face_recognition users write
(``dlib.chinese_whispers_clustering(descriptors, 0.5)``), kept as the baseline that
facedesk's own grouping (facedesk.core.grouping) is measured against. It compares every
pair of descriptors inside dlib, so it is for labelled sets and benchmarks, not libraries.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def chinese_whispers(vectors: npt.NDArray[np.float32], threshold: float = 0.5) -> list[int]:
    """A cluster label per row of ``vectors`` (N, 128), as dlib assigns them."""
    import dlib

    descriptors = [dlib.vector(row.astype(np.float64).tolist()) for row in vectors]
    return [int(label) for label in dlib.chinese_whispers_clustering(descriptors, threshold)]
