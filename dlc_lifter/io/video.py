"""Reading video frames with OpenCV."""

from __future__ import annotations

import logging
import shlex
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from dlc_lifter.errors import VideoError

__all__ = ["FRAME_COUNT_SLACK", "VideoReader", "not_a_video", "open_video", "video_info"]

#: A video's frame count (its container's header, as OpenCV and DeepLabCut read it) and the
#: frames that decode, and so a pose file's rows, can differ by a frame or two (VAME's
#: sample: 750 pose rows, a 749-frame video). Pose files and videos this close are taken as
#: each other's; the frames past the video's end are lifted without it.
FRAME_COUNT_SLACK = 2

logger = logging.getLogger(__name__)


class VideoReader:
    """Frames of one video, read with OpenCV.

    Use :func:`open_video` to make one. Frames are ``(height, width, 3)`` uint8 RGB
    arrays (``rgb=False`` gives OpenCV's BGR).

    Attributes
    ----------
    path
        The video file.
    n_frames
        Number of frames the container reports.
    fps
        Frames per second (``None`` when the container does not say).
    size
        ``(width, height)`` in pixels.
    """

    def __init__(self, path: str | Path, *, rgb: bool = True) -> None:
        import cv2

        self.path = Path(path)
        self.rgb = rgb
        if not self.path.is_file():
            raise VideoError(f"Video {self.path} does not exist. Check the path.")
        stub = not_a_video(self.path)
        if stub:
            raise VideoError(f"Video {self.path} {stub}")
        self._cap = cv2.VideoCapture(str(self.path))
        if not self._cap.isOpened():
            raise VideoError(
                f"Video {self.path} cannot be opened by OpenCV: it is damaged or incomplete "
                "(copy it again), not a video, or in a format OpenCV's FFmpeg lacks "
                f"(re-encode it: ffmpeg -i {shlex.quote(self.path.name)} -c:v libx264 "
                f"{shlex.quote(self.path.stem + '_h264.mp4')}).")
        ok, frame = self._cap.read()
        if not ok or frame is None:
            self._cap.release()
            raise VideoError(
                f"Video {self.path} has no decodable frame. Check that the file is complete "
                "or re-encode it with ffmpeg.")
        self._pos = 1
        self._first = frame
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps: float | None = fps if fps > 0 and np.isfinite(fps) else None
        self.n_frames = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self.size = (int(frame.shape[1]), int(frame.shape[0]))

    def _convert(self, frame: np.ndarray) -> np.ndarray:
        import cv2

        if frame.ndim == 2:
            frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB) if self.rgb else frame

    def read(self, index: int) -> np.ndarray:
        """Return frame ``index`` (0-based).

        Raises
        ------
        VideoError
            When the frame is outside the video or cannot be decoded.
        """
        import cv2

        index = int(index)
        if index < 0 or (self.n_frames and index >= self.n_frames):
            raise VideoError(
                f"Frame {index} is outside video {self.path} ({self.n_frames} frames).")
        if index == 0:
            return self._convert(self._first.copy())
        if index != self._pos:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = self._cap.read()
        if not ok or frame is None:
            raise VideoError(f"Frame {index} of video {self.path} cannot be decoded.")
        self._pos = index + 1
        return self._convert(frame)

    def __iter__(self) -> Iterator[np.ndarray]:
        import cv2

        self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        self._pos = 0
        while True:
            ok, frame = self._cap.read()
            if not ok or frame is None:
                break
            self._pos += 1
            yield self._convert(frame)

    def __len__(self) -> int:
        return self.n_frames

    def close(self) -> None:
        """Release the video."""
        self._cap.release()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"VideoReader({str(self.path)!r}, {self.n_frames} frames, fps={self.fps}, "
                f"size={self.size})")


#: The first line of a Git LFS pointer: what a repository cloned without ``git lfs`` holds
#: in place of each large file (a few lines of text, about 130 bytes).
_LFS_POINTER = b"version https://git-lfs.github.com/spec/"
#: Files this small are read to see whether they are a pointer rather than a video.
_STUB_BYTES = 1024


def not_a_video(path: str | Path) -> str | None:
    """Why ``path`` is plainly not a video (empty, or a Git LFS pointer), else ``None``.

    A repository cloned without Git LFS leaves a text pointer of about 130 bytes under the
    video's own name; OpenCV then says only that it cannot open it (and ffmpeg prints "moov
    atom not found"), and converting the "video" would not help.
    """
    p = Path(path)
    size = p.stat().st_size
    if size == 0:
        return "is empty (0 bytes): copy the video again from where it came from."
    if size <= _STUB_BYTES:
        with p.open("rb") as f:
            if f.read(len(_LFS_POINTER)) == _LFS_POINTER:
                return (f"is a Git LFS pointer ({size} bytes of text), not the video: its "
                        "repository was cloned without Git LFS; fetch the video with `git lfs "
                        "pull` there (or copy the real file).")
    return None


def open_video(path: str | Path, *, rgb: bool = True) -> VideoReader:
    """Open a video for reading frames.

    Parameters
    ----------
    path
        Video file.
    rgb
        Return RGB frames (default) rather than OpenCV's BGR.

    Returns
    -------
    VideoReader
        Use as a context manager; iterate for frames or ``read(i)``.

    Raises
    ------
    VideoError
        When the file is missing or cannot be decoded.
    """
    return VideoReader(path, rgb=rgb)


def video_info(path: str | Path) -> dict[str, Any]:
    """Frame count, fps and size of a video without keeping it open.

    Returns
    -------
    dict
        ``{"path", "n_frames", "fps", "size"}`` with ``size = (width, height)``.

    Raises
    ------
    VideoError
        When the file is missing or cannot be decoded.
    """
    with open_video(path) as v:
        return {"path": str(v.path), "n_frames": v.n_frames, "fps": v.fps, "size": v.size}
