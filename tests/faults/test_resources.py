"""A disk that fills up (item 7).

The small filesystem is a tmpfs mounted in a private user + mount namespace
(`unshare --user --map-root-user --mount`), so no root on the host is
needed and the mount vanishes with the process. The tmpfs is only visible
inside the namespace, so a small wrapper script runs the command there and
then lists what it left on the tmpfs, writing everything as JSON to a file
outside it. Networking is shared: the LocalSite on 127.0.0.1 is reachable.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.localsite import LocalSite
from tests.commands import kill_group

REPO = Path(__file__).resolve().parents[2]
FULL_DISK = 1

# Runs inside the namespace: the command, then an inventory of the tmpfs.
INSIDE = r'''
import json, subprocess, sys
from pathlib import Path
out, root, timeout, *command = sys.argv[1:]
try:
    run = subprocess.run(command, capture_output=True, text=True, timeout=float(timeout))
    result = {"returncode": run.returncode, "stdout": run.stdout, "stderr": run.stderr}
except subprocess.TimeoutExpired as expired:
    def text(value):
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else (value or "")
    result = {"returncode": "timeout", "stdout": text(expired.stdout), "stderr": text(expired.stderr)}
root = Path(root)
result["files"] = {str(p.relative_to(root)): p.stat().st_size for p in sorted(root.rglob("*")) if p.is_file()}
Path(out).write_text(json.dumps(result))
'''


def on_small_disk(tmp_path: Path, mount_point: Path, size: str, command: list[str], timeout: float = 240) -> dict:
    """Run ``command`` with a ``size`` tmpfs mounted on ``mount_point``; return its outcome and the tmpfs's files."""
    mount_point.mkdir(parents=True, exist_ok=True)
    script = tmp_path / "inside.py"
    script.write_text(INSIDE)
    out = tmp_path / "outcome.json"
    argv = [
        "unshare", "--user", "--map-root-user", "--mount",
        "sh", "-c", 'mount -t tmpfs -o "size=$1" tmpfs "$2" && shift 2 && exec "$@"', "sh", size, str(mount_point),
        sys.executable, str(script), str(out), str(mount_point), str(timeout), *command,
    ]
    process = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _, wrapper_err = process.communicate(timeout=timeout + 60)
    finally:
        kill_group(process)
    assert out.exists(), f"the namespace did not run: {wrapper_err}"
    return json.loads(out.read_text())


def unshare_works(tmp_path: Path) -> None:
    assert shutil.which("unshare"), "util-linux's unshare is needed"
    probe = on_small_disk(tmp_path / "probe", tmp_path / "probe" / "mnt", "1m", [sys.executable, "-c", "print('ok')"], timeout=30)
    assert probe["returncode"] == 0 and probe["stdout"].strip() == "ok", probe


def no_traceback(outcome: dict) -> None:
    text = outcome["stdout"] + outcome["stderr"]
    assert "Traceback" not in text, outcome["stderr"][-3000:]
    assert "--- Logging error ---" not in text, outcome["stderr"][-3000:]


def error_lines(outcome: dict) -> list[str]:
    return [line for line in outcome["stderr"].splitlines() if line.startswith("error: ")]


@pytest.fixture(scope="module")
def site():
    # one listing page holding every article: the whole site is known at once,
    # so a crawl that does not stop at a full disk goes on fetching all of it
    with LocalSite(extras=False, per_page=1000) as running:
        yield running


def write_config(site: LocalSite, path: Path) -> Path:
    path.write_text(
        "sources:\n  - name: local\n"
        f"    start_urls: ['{site.base_url}/news/']\n    delay: 0\n    concurrency: 4\n    routine_pages: 20\n    requisites: false\n"
        "    article_pattern: ['/articles/[0-9a-f]{64}\\.html$']\n    follow_pattern: ['://[^/]+/news/(\\?page=\\d+)?$']\n"
    )
    return path


def test_the_site_is_bigger_than_the_disk(site):
    # 3 MB of tmpfs cannot hold the site's WARC: its article bodies alone, gzipped as a WARC stores them, are more
    total = sum(len(gzip.compress(site.article_body(article_id), 6)) for article_id in site.article_ids)
    assert total > 5 * 1024 * 1024, total


def test_crawl_onto_a_full_disk_stops_with_one_line(site, tmp_path):
    unshare_works(tmp_path)
    config = write_config(site, tmp_path / "sources.yaml")
    data = tmp_path / "data"
    site.clear_requests()
    outcome = on_small_disk(
        tmp_path, data, "3m",
        [sys.executable, "-m", "crawler.cli", "crawl", "--config", str(config), "--data", str(data)],
    )
    attempted = len(site.requests)
    no_traceback(outcome)
    errors = error_lines(outcome)
    assert len(errors) == 1, outcome["stderr"][-3000:]
    assert str(data) in errors[0] and "free" in errors[0], errors
    assert outcome["returncode"] == FULL_DISK, outcome["stderr"][-3000:]
    leftovers = [name for name in outcome["files"] if name.startswith("warcs/") and name.endswith(".open")]
    assert leftovers == [], leftovers
    # it stopped early: about 85 articles fit on 3 MB; the site has 181 (+ robots.txt and a listing)
    assert attempted < 0.75 * len(site.article_ids), (attempted, len(site.article_ids))


@pytest.mark.parametrize("size", ["200k", "400k"])  # full while making the index / while indexing
def test_demo_on_a_full_disk_says_so_in_one_line(tmp_path, size):
    unshare_works(tmp_path)
    keep = tmp_path / "demo"
    outcome = on_small_disk(tmp_path, keep, size, [sys.executable, "-m", "crawler.cli", "demo", "--keep", str(keep)], timeout=120)
    no_traceback(outcome)
    errors = error_lines(outcome)
    assert len(errors) == 1, outcome["stderr"][-3000:]
    assert outcome["returncode"] == FULL_DISK, outcome["stderr"][-3000:]
