# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Stand-in for the get-pip.py that ansible-test downloads to bootstrap pip in its venvs.

ansible-test fetches get-pip from ci-files.testing.ansible.com, which these machines cannot
reach, unless a copy sits in ~/.ansible/test/cache/get_pip_<version>.py. `make sanity` copies
this file there. ansible-test runs it as `python get_pip.py [pip options] pip==X.Y ...` inside
a fresh venv: install the pip bundled with the interpreter (ensurepip, no network), then let
that pip install the exact packages asked for from the configured index.
"""

from __future__ import annotations

import subprocess
import sys

# get-pip.py options that `pip install` does not take.
GET_PIP_ONLY_OPTIONS = ("--no-setuptools", "--no-wheel")


def main(argv: list[str]) -> int:
    subprocess.run([sys.executable, "-m", "ensurepip", "--default-pip"], check=True,
                   stdout=subprocess.DEVNULL)
    arguments = [argument for argument in argv if argument not in GET_PIP_ONLY_OPTIONS]
    pip_install = [sys.executable, "-m", "pip", "install", *arguments]
    return subprocess.run(pip_install, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
