"""The locks: every package `make run` and `make test` install is pinned with its hashes, and every input is in them."""

import re

import pytest

from studio_app.settings import PROJECT_ROOT

REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^]]*\])?\s*(==\s*[^\s;\\]+)?")


def names(text: str) -> dict[str, str]:
    """Requirement name (normalized) -> its line, for every line that starts a requirement."""
    found = {}
    for line in text.splitlines():
        match = REQUIREMENT.match(line)
        if match:
            found[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = line
    return found


def entries(lock: str) -> list[str]:
    """One string per requirement of a lock (its continuation lines joined), comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", "\n".join(line for line in lock.splitlines() if not line.lstrip().startswith("#")))
    return [line for line in joined.splitlines() if line.strip()]


@pytest.mark.parametrize(("inputs", "lock"), [("requirements.in", "requirements.txt"),
                                              ("requirements-dev.in", "requirements-dev.txt")])
def test_the_lock_pins_every_input_with_hashes(inputs, lock):
    locked_text = (PROJECT_ROOT / lock).read_text()
    locked = names(locked_text)
    wanted = set(names((PROJECT_ROOT / inputs).read_text()))
    if inputs == "requirements-dev.in":
        wanted |= set(names((PROJECT_ROOT / "requirements.in").read_text()))
    assert wanted - set(locked) == set()
    for entry in entries(locked_text):
        assert "==" in entry and "--hash=sha256:" in entry, entry


def test_make_installs_only_from_the_locks_with_hashes():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    installs = [line.strip() for line in makefile.splitlines() if "pip install" in line and " -r " in line]
    assert installs and all("--require-hashes -r requirements" in line for line in installs), installs
