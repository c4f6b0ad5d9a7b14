"""The README's map of the code is the tree as it is: every module and
folder of archive/ and crawler/ is on it, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def map_entries() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("(`tests/test_layout.py` keeps this map true):", 1)[1].split("```", 2)[1]
    entries, stack = set(), []
    for line in block.strip("\n").splitlines():
        match = re.match(r"( *)(\S+)", line)
        depth = len(match.group(1)) // 2
        stack[depth:] = [match.group(2).rstrip("/")]
        entries.add("/".join(stack) + ("/" if match.group(2).endswith("/") else ""))
    return entries


def tree_entries() -> set[str]:
    """Modules, and folders (packages) as ``name/``."""
    entries = set()
    for top in ("archive", "crawler"):
        for path in (ROOT / top).rglob("*.py"):
            relative = path.relative_to(ROOT)
            for parent in list(relative.parents)[:-1]:
                entries.add(parent.as_posix() + "/")
            if path.name not in ("__init__.py", "__main__.py"):
                entries.add(relative.as_posix())
    return entries


def test_the_readme_map_is_the_tree():
    listed, tree = map_entries(), tree_entries()
    # a folder the map lists without its modules stands for all of them
    summarised = {e for e in listed if e.endswith("/") and not any(o != e and o.startswith(e) for o in listed)}
    listed |= {e for e in tree if any(e.startswith(folder) for folder in summarised)}
    # "spiders/source.py" on one line implies its folder
    listed |= {e.rsplit("/", 1)[0] + "/" for e in listed if not e.endswith("/")}
    assert sorted(tree - listed) == [], "on disk, not on the README's map"
    assert sorted(listed - tree) == [], "on the README's map, not on disk"


def test_no_module_is_over_about_400_lines():
    long = {p.relative_to(ROOT).as_posix(): n for top in ("archive", "crawler") for p in (ROOT / top).rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 420}
    assert long == {}
