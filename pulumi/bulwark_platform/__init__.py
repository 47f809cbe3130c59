"""Bulwark's admit layer as a Pulumi program: Kyverno, Falco and the cluster policies; and
``harden()``, a transformation for users' own programs (hardening.py)."""
from __future__ import annotations

import gc

from .collection import ensure_importable

ensure_importable()   # before any submodule imports the collection's module_utils

from .hardening import harden  # noqa: E402  (users: pulumi.runtime.register_stack_transformation)

__all__ = ["harden", "main"]

# CPython's young-generation threshold (700 allocations between collections) is tuned for
# short-lived objects. A Pulumi program keeps every resource's inputs, outputs and futures
# alive until it ends, and the runtime keeps rebuilding large containers over them, so with
# the default the collector re-walks that growing state thousands of times: 200 namespaces
# cost 17-20x the CPU of 20 (bench/pulumi_namespaces.py). Fewer young collections, and the
# import-time objects (pulumi_kubernetes alone is ~100,000) frozen out of the old generation,
# keep it near linear (9-10x).
GC_THRESHOLDS = (20_000, 20, 20)


def tune_gc() -> None:
    """Call once the modules are imported."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def main() -> None:
    """The program: settings read once from the stack config, then one Platform."""
    import pulumi

    from .components import Platform
    from .settings import from_pulumi_config

    tune_gc()
    platform = Platform("bulwark", from_pulumi_config())
    pulumi.export("kyvernoRelease", platform.kyverno.status)
