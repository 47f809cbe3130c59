"""Write every manifest the Pulumi program declares as YAML, for GitOps and kubectl users.

    python pulumi/render.py --stack pulumi/Pulumi.example.yaml --out rendered/

Reads the stack file directly (no Pulumi CLI needed) through the same settings and the
same policy builders as the program, and writes:

    <out>/namespaces/        the Kyverno and Falco namespaces and the team namespaces (PSA labels)
    <out>/network-policies/  default deny, DNS and the allowlists
    <out>/admission/         Kyverno policies and exceptions (apply after Kyverno is running)
    <out>/helm/<release>.yaml  chart, repository, pinned version and values of each release
    <out>/policy-pack-config.json  the CrossGuard pack's configuration for these settings
                             (pulumi preview --policy-pack policy --policy-pack-config ...)
    <out>/all.yaml           every manifest above in apply order, one multi-document file

Exit status 2 with the key named when the stack config is bad.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bulwark_platform import charts, policy_source  # noqa: E402
from bulwark_platform.settings import PlatformSettings, StackConfigError, from_stack_file  # noqa: E402


def render(settings: PlatformSettings, manifests: list[dict] | None = None) -> dict[str, object]:
    """Relative path -> document (a manifest, or a release descriptor), in apply order."""
    if manifests is None:
        manifests = policy_source.bundle(settings)
    plan = policy_source.plan(manifests)
    files: dict[str, object] = {}
    releases = [(settings.kyverno, charts.kyverno_values(settings))]
    if settings.falco:
        releases.append((settings.falco, charts.falco_values(settings)))
    for release, _values in releases:
        files[f"namespaces/{release.name}-namespace.yaml"] = charts.release_namespace(release)
    groups = (("namespaces", plan.namespaces + plan.other),
              ("network-policies", plan.network_policies),
              ("admission", plan.admission))
    for folder, group in groups:
        for manifest in group:
            path = f"{folder}/{policy_source.manifest_name(manifest)}.yaml"
            if path in files:
                raise ValueError(f"two manifests render to {path}: names must be unique")
            files[path] = manifest
    for release, values in releases:
        files[f"helm/{release.name}.yaml"] = charts.release_descriptor(release, values)
    files["policy-pack-config.json"] = policy_source.crossguard.pack_config(
        policy_source.policy_settings(settings))
    return files


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (rules files, PEM keys, CEL) as literal blocks, readable in review."""


def _str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(document, **kw) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, **kw)


def write(files: dict[str, object], out: Path) -> list[Path]:
    written = []
    manifests = []
    for rel, document in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith(".json"):
            path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        else:
            path.write_text(dump(document), encoding="utf-8")
        written.append(path)
        if "/" in rel and not rel.startswith("helm/"):
            manifests.append(document)
    all_path = out / "all.yaml"
    all_path.write_text(yaml.dump_all(manifests, Dumper=_Dumper, sort_keys=False),
                        encoding="utf-8")
    written.append(all_path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", type=Path, default=Path(__file__).parent / "Pulumi.example.yaml",
                        help="stack file (Pulumi.<stack>.yaml) to read the config from")
    parser.add_argument("--out", type=Path, required=True, help="directory to write into")
    args = parser.parse_args(argv)
    try:
        settings = from_stack_file(args.stack)
        files = render(settings)
    except StackConfigError as exc:
        print(f"{args.stack}: {exc}", file=sys.stderr)
        return 2
    written = write(files, args.out)
    print(f"wrote {len(written)} files under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
