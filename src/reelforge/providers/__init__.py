"""Commercial video APIs behind one async adapter contract.

Import from here; the submodules are layout, not API::

    from reelforge.providers import KlingAdapter, Succeeded, ModerationRejected
"""

from .aggregator import (
    AggregatorAdapter,
    AggregatorOptions,
    AggregatorProfile,
    AimlapiAdapter,
    AtlasAdapter,
    HiggsfieldAdapter,
    WaveSpeedAdapter,
)
from .base import Adapter
from .config import base_url_env, resolve_base_url, resolve_keys
from .errors import (
    AmbiguousSubmit,
    AuthError,
    ConcurrencyLimited,
    InvalidRequest,
    MissingKey,
    ModerationRejected,
    OutputExpired,
    ProviderError,
    QuotaExceeded,
    RateLimited,
    TaskExpired,
    TaskFailed,
    TransientProviderError,
    Unsupported,
)
from .fal import FalAdapter, FalCredentials, FalOptions
from .kling import KlingAdapter, KlingCredentials, KlingOptions
from .luma import LumaAdapter, LumaCredentials, LumaOptions
from .minimax import HailuoAdapter, MiniMaxAdapter, MiniMaxH3Adapter, MiniMaxOptions
from .openai_videos import ApiyiVideosAdapter, OpenAIVideosAdapter, OpenAIVideosOptions
from .replicate import ReplicateAdapter, ReplicateCredentials, ReplicateOptions
from .runway import RunwayAdapter, RunwayCredentials, RunwayOptions
from .seedance import SeedanceAdapter, SeedanceCredentials, SeedanceOptions
from .seedance.volcengine import VolcengineSeedanceAdapter
from .state import (
    Canceled,
    Expired,
    Failed,
    OutputRef,
    Queued,
    Running,
    Succeeded,
    TaskHandle,
    TaskState,
    WireRequest,
)
from .veo import GeminiCredentials, VeoAdapter, VeoOptions
from .veo.vertex import VertexCredentials, VertexVeoAdapter
from .veo.vertex_request import VertexVeoOptions
from .xai import XaiAdapter, XaiOptions

__all__ = [
    "Adapter",
    "AggregatorAdapter",
    "AggregatorOptions",
    "AggregatorProfile",
    "AimlapiAdapter",
    "AmbiguousSubmit",
    "ApiyiVideosAdapter",
    "AtlasAdapter",
    "AuthError",
    "Canceled",
    "ConcurrencyLimited",
    "Expired",
    "Failed",
    "FalAdapter",
    "FalCredentials",
    "FalOptions",
    "GeminiCredentials",
    "HailuoAdapter",
    "HiggsfieldAdapter",
    "InvalidRequest",
    "KlingAdapter",
    "KlingCredentials",
    "KlingOptions",
    "LumaAdapter",
    "LumaCredentials",
    "LumaOptions",
    "MiniMaxAdapter",
    "MiniMaxH3Adapter",
    "MiniMaxOptions",
    "MissingKey",
    "ModerationRejected",
    "OpenAIVideosAdapter",
    "OpenAIVideosOptions",
    "OutputExpired",
    "OutputRef",
    "ProviderError",
    "Queued",
    "QuotaExceeded",
    "RateLimited",
    "ReplicateAdapter",
    "ReplicateCredentials",
    "ReplicateOptions",
    "Running",
    "RunwayAdapter",
    "RunwayCredentials",
    "RunwayOptions",
    "SeedanceAdapter",
    "SeedanceCredentials",
    "SeedanceOptions",
    "Succeeded",
    "TaskExpired",
    "TaskFailed",
    "TaskHandle",
    "TaskState",
    "TransientProviderError",
    "Unsupported",
    "VeoAdapter",
    "VeoOptions",
    "VertexCredentials",
    "VertexVeoAdapter",
    "VertexVeoOptions",
    "VolcengineSeedanceAdapter",
    "WaveSpeedAdapter",
    "WireRequest",
    "XaiAdapter",
    "XaiOptions",
    "base_url_env",
    "resolve_base_url",
    "resolve_keys",
]
