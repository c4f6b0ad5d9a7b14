"""A crawl listens on no TCP port (item 12): Scrapy 2.19 enables its
RemoteControl endpoint (an HTTP server on localhost that runs Python code)
by default, and the telnet console must stay off too."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.localsite import LocalSite
from tests.commands import kill_group

REPO = Path(__file__).resolve().parents[2]


def children_of() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry))
    return tree


def process_tree(pid: int) -> set[int]:
    tree, found, todo = children_of(), set(), [pid]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(tree.get(current, []))
    return found


def socket_inodes(pids: set[int]) -> set[str]:
    inodes = set()
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[len("socket:["):-1])
    return inodes


def listening_sockets() -> dict[str, str]:
    """inode -> local address of every TCP socket in state LISTEN (0A)."""
    listening = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] == "0A":
                listening[fields[9]] = f"{table}:{fields[1]}"
    return listening


def listening_in(pids: set[int]) -> dict[str, str]:
    listening = listening_sockets()
    return {inode: listening[inode] for inode in socket_inodes(pids) if inode in listening}


@pytest.fixture(scope="module")
def site():
    with LocalSite(extras=False) as running:
        yield running


def test_the_probe_sees_a_listening_socket(site):
    # the method works: it finds the LocalSite's own listening socket in this process
    assert listening_in({os.getpid()}), "the /proc probe found no listening socket in the test process"


def test_a_crawl_listens_on_no_port(site, tmp_path):
    config = tmp_path / "sources.yaml"
    config.write_text(
        "sources:\n  - name: local\n"
        f"    start_urls: ['{site.base_url}/news/']\n    delay: 0.1\n    concurrency: 1\n    routine_pages: 20\n    requisites: false\n"
        "    max_pages: 25\n"
        "    article_pattern: ['/articles/[0-9a-f]{64}\\.html$']\n    follow_pattern: ['://[^/]+/news/(\\?page=\\d+)?$']\n"
    )
    data = tmp_path / "data"
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "crawl", "--config", str(config), "--data", str(data)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    seen: dict[str, str] = {}
    looked = 0
    try:
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            if list((data / "warcs").glob("*.open")) if (data / "warcs").is_dir() else []:
                seen.update(listening_in(process_tree(process.pid)))
                looked += 1
            time.sleep(0.1)
    finally:
        kill_group(process)
    assert looked >= 5, "the crawl ended before it could be looked at while capturing"
    assert seen == {}, f"the crawl's processes listen on {sorted(seen.values())}"
