"""Loopback stand-ins for commercial video APIs, speaking each provider's wire contract, so
adapters are tested end to end over real HTTP without the network or a bill."""

from .aggregator import (
    AggregatorSandbox,
    AggregatorSandboxConfig,
    AimlapiSandbox,
    AtlasSandbox,
    HiggsfieldSandbox,
    WaveSpeedSandbox,
)
from .aggregator import Fault as AggregatorFault
from .fal import FalFault, FalSandbox, FalSandboxConfig
from .kling import Fault, KlingSandbox, KlingSandboxConfig
from .luma import Fault as LumaFault
from .luma import LumaSandbox, LumaSandboxConfig
from .minimax import Fault as MiniMaxFault
from .minimax import MiniMaxSandbox, MiniMaxSandboxConfig
from .openai_videos import Fault as OpenAIVideosFault
from .openai_videos import OpenAIVideosSandbox, OpenAIVideosSandboxConfig
from .replicate import ReplicateFault, ReplicateSandbox, ReplicateSandboxConfig
from .runway import Fault as RunwayFault
from .runway import RunwaySandbox, RunwaySandboxConfig
from .seedance import Fault as SeedanceFault
from .seedance import SeedanceSandbox, SeedanceSandboxConfig
from .server import LoopbackServer, SandboxRequest, SandboxResponse
from .veo import VeoFault, VeoSandbox, VeoSandboxConfig
from .vertex import VertexSandbox, VertexSandboxConfig
from .xai import Fault as XaiFault
from .xai import XaiSandbox, XaiSandboxConfig

__all__ = [
    "AggregatorFault",
    "AggregatorSandbox",
    "AggregatorSandboxConfig",
    "AimlapiSandbox",
    "AtlasSandbox",
    "FalFault",
    "FalSandbox",
    "FalSandboxConfig",
    "Fault",
    "HiggsfieldSandbox",
    "KlingSandbox",
    "KlingSandboxConfig",
    "LoopbackServer",
    "LumaFault",
    "LumaSandbox",
    "LumaSandboxConfig",
    "MiniMaxFault",
    "MiniMaxSandbox",
    "MiniMaxSandboxConfig",
    "OpenAIVideosFault",
    "OpenAIVideosSandbox",
    "OpenAIVideosSandboxConfig",
    "ReplicateFault",
    "ReplicateSandbox",
    "ReplicateSandboxConfig",
    "RunwayFault",
    "RunwaySandbox",
    "RunwaySandboxConfig",
    "SandboxRequest",
    "SandboxResponse",
    "SeedanceFault",
    "SeedanceSandbox",
    "SeedanceSandboxConfig",
    "VeoFault",
    "VeoSandbox",
    "VeoSandboxConfig",
    "VertexSandbox",
    "VertexSandboxConfig",
    "WaveSpeedSandbox",
    "XaiFault",
    "XaiSandbox",
    "XaiSandboxConfig",
]
