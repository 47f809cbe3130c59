"""Bulwark's admit layer as a Pulumi program: Kyverno, Falco and the cluster policies."""
from __future__ import annotations


def main() -> None:
    """The program: settings read once from the stack config, then one Platform."""
    import pulumi

    from .components import Platform
    from .settings import from_pulumi_config

    platform = Platform("bulwark", from_pulumi_config())
    pulumi.export("kyvernoRelease", platform.kyverno.status)
