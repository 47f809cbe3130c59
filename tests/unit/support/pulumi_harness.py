"""Run the Pulumi program under Pulumi's mocks and record what it registers.

RecordingMonitor is Pulumi's own MockMonitor with one addition: every RegisterResource
request is kept whole (type, name, parent, the dependency URNs the SDK sent, inputs). That
is the monitor's view, the same request a real engine receives, so `depends_on` is checked
where it is actually transmitted rather than in the program's Python objects.
"""
from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc

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

    def RegisterResource(self, request):
        if request.type != "pulumi:pulumi:Stack":
            pulumi_mocks._ensure_event_loop()
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


def run_program(config: dict, manifests=None, entry_point=None) -> RecordingMonitor:
    """Build the platform under mocks, on a fresh event loop; return the recording monitor.

    `manifests` replaces the policy builders' bundle (bench and focused tests); None runs
    the real builders on `config['policy']`. `entry_point` runs instead of building the
    Platform directly (the program's own main()).
    """
    asyncio.set_event_loop(asyncio.new_event_loop())
    mocks = Mocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="bulwark", stack="test", preview=False, monitor=monitor)
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
