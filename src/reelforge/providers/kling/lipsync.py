"""Kling lip sync, ``POST /v1/videos/lip-sync`` (research §3.2, §3.6): an existing video, by Kling
video id or URL, re-timed to new speech given as text + a Kling voice, or as audio.

The body nests everything in an ``input`` object (ComfyUI's ``KlingLipSyncRequest``): ``mode``
``text2video`` (text ≤ 120 characters, ``voice_id``, ``voice_language``, ``voice_speed``) or
``audio2video`` (``audio_type`` file → base64 ``audio_file``, url → ``audio_url``; mp3/wav/m4a/aac,
≤ 5 MB). No shot field carries a source video yet, so this is reached from code, not from a
production file.
"""

from __future__ import annotations

import base64
import uuid
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..errors import InvalidRequest
from ..state import Succeeded

ROUTE = "lip-sync"
MODEL = "kling-lip-sync"  # not a wire field: names the task in errors and provenance
TEXT_LIMIT = 120
AUDIO_LIMIT = 5 * 1024 * 1024
AUDIO_SUFFIXES = (".mp3", ".wav", ".m4a", ".aac")


class LipSyncInput(BaseModel):
    """What to lip-sync: one source video, and either text + voice or one audio."""

    model_config = ConfigDict(extra="forbid")

    video_id: str | None = None  # a Kling-generated video (≤ 30 days old)
    video_url: str | None = None
    text: str | None = Field(default=None, max_length=TEXT_LIMIT)
    voice_id: str | None = None  # from Kling's voice list, e.g. "oversea_male1"
    voice_language: Literal["zh", "en"] = "en"
    voice_speed: float = Field(default=1.0, ge=0.8, le=2.0)
    audio_path: Path | None = None  # sent inline as base64
    audio_url: str | None = None
    callback_url: str | None = None

    @model_validator(mode="after")
    def _one_of_each(self) -> LipSyncInput:
        if (self.video_id is None) == (self.video_url is None):
            raise ValueError("give exactly one of video_id and video_url")
        by_text = self.text is not None or self.voice_id is not None
        audios = (self.audio_path is not None) + (self.audio_url is not None)
        if by_text and audios:
            raise ValueError("give text + voice_id, or audio, not both")
        if by_text and not (self.text and self.voice_id):
            raise ValueError("text-driven lip sync needs both text and voice_id")
        if not by_text and audios != 1:
            raise ValueError("give text + voice_id, or exactly one of audio_path and audio_url")
        return self

    @classmethod
    def from_video(cls, state: Succeeded, **speech: Any) -> LipSyncInput:
        """Lip-sync the first video of a finished Kling task: by its video id when Kling
        reported one (no re-upload, no URL expiry), else by its URL."""
        videos = (state.raw.get("task_result") or {}).get("videos") or []
        video_id = videos[0].get("id") if videos else None
        if video_id:
            return cls(video_id=str(video_id), **speech)
        return cls(video_url=state.outputs[0].url, **speech)


def _audio_file(path: Path) -> str:
    if path.suffix.lower() not in AUDIO_SUFFIXES:
        raise InvalidRequest(
            f"{path}: Kling lip sync takes {', '.join(AUDIO_SUFFIXES)} audio",
            provider="kling",
            model=MODEL,
        )
    data = Path(path).read_bytes()
    if len(data) > AUDIO_LIMIT:
        raise InvalidRequest(
            f"{path} is over Kling's 5 MB audio limit", provider="kling", model=MODEL
        )
    return base64.b64encode(data).decode("ascii")


def build_lipsync_body(source: LipSyncInput, idempotency_key: str | None) -> dict[str, Any]:
    """The wire body. Pure except for reading a local audio file."""
    given: dict[str, Any] = {}
    if source.video_id is not None:
        given["video_id"] = source.video_id
    else:
        assert source.video_url is not None  # the validator guarantees one of the two
        if not source.video_url.startswith(("http://", "https://")):
            raise InvalidRequest("video_url must be an http(s) URL", provider="kling", model=MODEL)
        given["video_url"] = source.video_url
    if source.text is not None:
        given.update(
            mode="text2video",
            text=source.text,
            voice_id=source.voice_id,
            voice_language=source.voice_language,
            voice_speed=source.voice_speed,
        )
    elif source.audio_path is not None:
        given.update(
            mode="audio2video", audio_type="file", audio_file=_audio_file(source.audio_path)
        )
    else:
        given.update(mode="audio2video", audio_type="url", audio_url=source.audio_url)
    body: dict[str, Any] = {"input": given}
    if source.callback_url:
        body["callback_url"] = source.callback_url
    # Kling's task endpoints take external_task_id; ComfyUI's lip-sync schema omits it, so its
    # acceptance on this endpoint is unverified [?]. It is what makes a re-run re-attach.
    body["external_task_id"] = idempotency_key or f"rf-{uuid.uuid4().hex}"
    return body
