"""Run the Pulumi program under Pulumi's mocks and record what it registers.

RecordingMonitor is Pulumi's own MockMonitor with two additions: every RegisterResource
request is kept whole (type, name, parent, the dependency URNs the SDK sent, inputs). That
is the monitor's view, the same request a real engine receives, so `depends_on` is checked
where it is actually transmitted rather than in the program's Python objects. And it runs
resource transforms, which Pulumi's mock monitor only records: standing in for the engine
(the Pulumi CLI is not installed here), it sends each transform the TransformRequest the
engine sends, through the SDK's own callback server, in the engine's order (the resource's
own transforms, then its parents', then the stack's), and registers what comes back.
"""
from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime._callbacks import _CallbackServicer
from pulumi.runtime.proto import resource_pb2

import pulumi

ROOT = Path(__file__).resolve().parents[3]
PULUMI_DIR = ROOT / "pulumi"
if str(PULUMI_DIR) not in sys.path:
    sys.path.insert(0, str(PULUMI_DIR))


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    dependencies: list
    inputs: dict
    provider: str = ""      # the provider reference (URN::id) the SDK sent, "" for the default


class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks):
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self.stack_transforms: list = []        # callback_pb2.Callback, in registration order
        self.own_transforms: dict[str, list] = {}   # urn -> the resource's transforms option
        self.parents: dict[str, str] = {}

    def RegisterStackTransform(self, request):
        self.stack_transforms.append(request)
        return super().RegisterStackTransform(request)

    def _transform(self, request) -> None:
        urn = self.make_urn(request.parent, request.type, request.name)
        self.own_transforms[urn] = list(request.transforms)
        self.parents[urn] = request.parent
        chain, parent = list(request.transforms), request.parent
        while parent:
            chain += self.own_transforms.get(parent, [])
            parent = self.parents.get(parent, "")
        for callback in chain + self.stack_transforms:
            (invoke,) = [s._callbacks[callback.token] for s in _CallbackServicer._servicers
                         if callback.token in s._callbacks]
            sent = resource_pb2.TransformRequest(
                type=request.type, name=request.name, custom=request.custom,
                parent=request.parent, properties=request.object)
            answer = pulumi_mocks._sync_await(invoke(sent.SerializeToString()))
            request.object.CopyFrom(answer.properties)

    def RegisterResource(self, request):
        if request.type != "pulumi:pulumi:Stack":
            pulumi_mocks._ensure_event_loop()
            self._transform(request)
            inputs = rpc.deserialize_properties(request.object)
            self.registrations.append(Registration(
                urn=self.make_urn(request.parent, request.type, request.name),
                type=request.type, name=request.name, parent=request.parent,
                custom=bool(request.custom), dependencies=list(request.dependencies),
                inputs=inputs, provider=request.provider))
        return super().RegisterResource(request)

    def by_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]

    def by_urn(self) -> dict[str, Registration]:
        return {r.urn: r for r in self.registrations}


def stack_config(values: dict) -> dict:
    """`bulwark:<key>` -> the string form Pulumi hands a program (JSON for non-strings)."""
    return {f"bulwark:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}


def run_program(config: dict, manifests=None, entry_point=None, preview: bool = False,
                logger=None) -> RecordingMonitor:
    """Build the platform under mocks, on a fresh event loop; return the recording monitor.

    `manifests` replaces the policy builders' bundle (bench and focused tests); None runs
    the real builders on `config['policy']`. `entry_point` runs instead of building the
    Platform directly (the program's own main()). `logger` receives what the program logs
    (pulumi.log, warnings included).
    """
    asyncio.set_event_loop(asyncio.new_event_loop())
    mocks = Mocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="bulwark", stack="test", preview=preview,
                             monitor=monitor, logger=logger)
    pulumi.runtime.set_all_config(stack_config(config))

    from bulwark_platform.components import Platform
    from bulwark_platform.settings import from_pulumi_config

    @pulumi.runtime.test
    def program():
        if entry_point is not None:
            return entry_point()
        platform = Platform("bulwark", from_pulumi_config(), manifests=manifests)
        return platform.urn

    program()
    return monitor
