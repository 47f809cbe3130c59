# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Each role answers for its own posture part (issue 23): the module copies no role default,
every role has a `posture` entry that passes its own variables, playbooks/posture.yml reads no
role file, and the cosign guard asks the same module instead of probing again."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from ansible_collections.bulwark.container_security.plugins.module_utils.posture import node
from ansible_collections.bulwark.container_security.plugins.modules import bulwark_posture_facts

ROOT = Path(__file__).resolve().parents[5]
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "defaults/main.yml").is_file())
# the parts each role may ask for (its own, and no other role's)
PARTS = {"cosign": {"tools", "ship"}, "falco": {"tools", "falco"}, "trivy": {"tools", "rescan"},
         "seccomp_profiles": {"seccomp"}}
MODULE = "bulwark.container_security.bulwark_posture_facts"


def scalars(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from scalars(item)
    elif isinstance(value, list):
        for item in value:
            yield from scalars(item)
    else:
        yield value


def option_defaults(options):
    """Every `default` of a module's options and suboptions (ARGUMENT_SPEC or DOCUMENTATION)."""
    for name, spec in (options or {}).items():
        if "default" in spec:
            yield name, spec["default"]
        yield from option_defaults(spec.get("options") or spec.get("suboptions"))


def role_default_strings():
    found = {}
    for role in ROLES:
        defaults = yaml.safe_load((ROOT / "roles" / role / "defaults/main.yml").read_text()) or {}
        for name, value in defaults.items():
            for item in scalars(value):
                if isinstance(item, str) and item:
                    found.setdefault(item, f"{role}: {name}")
    return found


def copied_defaults(options, copied):
    return [(name, copied[item]) for name, default in option_defaults(options)
            for item in scalars(default) if isinstance(item, str) and item in copied]


def test_the_module_copies_no_role_default():
    copied = role_default_strings()
    documented = yaml.safe_load(bulwark_posture_facts.DOCUMENTATION)["options"]
    assert copied_defaults(bulwark_posture_facts.ARGUMENT_SPEC, copied) == []
    assert copied_defaults(documented, copied) == []
    # nor as text: no role's path or unit name in the module or the readers (the system's own
    # binary directories, searched after the role's bin_dir, are nobody's choice)
    sources = (Path(bulwark_posture_facts.__file__).read_text()
               + Path(node.__file__).read_text())
    for value, where in copied.items():
        if value.startswith("/") and value not in node.SEARCH_PATH:
            whole = re.compile(rf"(?<![\w/.-]){re.escape(value)}(?![\w/.-])")
            assert not whole.search(sources), f"{value} ({where}) is written in the posture module"
    for unit in ("falco-modern-bpf", "falco-kmod", "trivy-rescan.timer"):
        assert unit not in sources


def test_the_check_finds_a_copied_default():
    """The check above can fail: the options as they were (a copied trust store and unit)."""
    before = {"trusted_keys_dir": {"type": "path", "default": "/etc/bulwark/cosign/trusted-keys"},
              "falco": {"type": "dict", "options": {
                  "rules_dir": {"type": "path", "default": "/etc/falco/rules.d"}}}}
    assert copied_defaults(before, role_default_strings()) == [
        ("trusted_keys_dir", "cosign: cosign_trusted_keys_dir"),
        ("rules_dir", "falco: falco_rules_dir")]


def entry(role):
    specs = yaml.safe_load((ROOT / "roles" / role / "meta/argument_specs.yml").read_text())
    return specs["argument_specs"]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_has_a_posture_entry_with_its_own_variables(role):
    specs = entry(role)
    assert "posture" in specs, f"roles/{role}/meta/argument_specs.yml has no posture entry"
    main, posture = specs["main"]["options"], specs["posture"]["options"]
    for name, spec in posture.items():
        assert spec == main[name], f"{role}: posture option {name} differs from main's"
    tasks_text = (ROOT / "roles" / role / "tasks/posture.yml").read_text()
    used = set(re.findall(rf"\b({role}_[a-z0-9_]+)\b", tasks_text)) - {f"{role}_posture"}
    assert used and used <= set(posture), f"{role}: {sorted(used - set(posture))} undeclared"
    tasks = yaml.safe_load(tasks_text)
    assert [t.get("register") for t in tasks] == [f"{role}_posture"]
    (task,) = tasks
    asked = set(task[MODULE])
    assert asked <= PARTS.get(role, {"tools"}), f"{role} asks for {asked}"
    assert "check_mode" not in task and "changed_when" not in task  # read-only by itself


def test_falco_service_name_is_the_roles():
    (task,) = yaml.safe_load((ROOT / "roles/falco/tasks/posture.yml").read_text())
    assert task[MODULE]["falco"]["service"] == "{{ falco_service_name }}"


def test_the_playbook_reads_no_role_file():
    text = (ROOT / "playbooks/posture.yml").read_text()
    for copied in ("defaults/main.yml", "roles/", "falco_driver", "falco-kmod", "lookup('ansible"
                   ".builtin.file'"):
        assert copied not in text, copied
    play = yaml.safe_load(text)[0]
    (include,) = play["tasks"]
    assert include["ansible.builtin.include_role"] == {
        "name": "bulwark.container_security.{{ posture_role }}", "tasks_from": "posture"}
    assert play["vars"]["posture_default_roles"] == ["cosign", "trivy", "falco",
                                                     "seccomp_profiles"]


def test_the_cosign_guard_asks_the_posture_module():
    text = (ROOT / "roles/cosign/tasks/enforce.yml").read_text()
    tasks = yaml.safe_load(text)
    asked = [t for t in tasks if MODULE in t]
    assert len(asked) == 2 and all(set(t[MODULE]) == {"ship"} for t in asked)
    assert asked[1][MODULE]["ship"]["policy"] == "{{ cosign_policy_build.policy }}"
    for probe in ("grep", "python", "ansible.builtin.command", "ansible.builtin.shell",
                  "/usr/bin/skopeo"):
        assert probe not in text, probe
