"""The frontier journal: what a crawl found and did not finish, read back by
the next run however the last one ended."""

from __future__ import annotations

from archive.index.frontier import Frontier


def test_pending_is_what_was_added_and_not_finished(tmp_path):
    journal = Frontier(tmp_path / "frontier" / "site.tsv")
    for number in range(5):
        journal.add(f"https://example.org/{number}", "article")
    journal.add("https://example.org/0", "article")  # twice: one entry
    journal.finish("https://example.org/1")
    journal.finish("https://example.org/never-added")
    # a kill now: the next run reads the journal as it stands
    again = Frontier(tmp_path / "frontier" / "site.tsv")
    assert list(again.pending) == [f"https://example.org/{n}" for n in (0, 2, 3, 4)]
    assert again.resumed == frozenset(again.pending)


def test_a_line_torn_by_a_kill_is_ignored(tmp_path):
    path = tmp_path / "site.tsv"
    path.write_text("+\tlisting\thttps://example.org/news/\n+\tarticle\thttps://example.org/a\n-\thttps://example.org/ne")
    assert Frontier(path).pending == {"https://example.org/news/": "listing", "https://example.org/a": "article"}


def test_a_run_that_stopped_early_keeps_only_what_is_pending(tmp_path):
    path = tmp_path / "site.tsv"
    journal = Frontier(path)
    journal.add("https://example.org/a", "article")
    journal.add("https://example.org/b", "article")
    journal.finish("https://example.org/a")
    journal.close(completed=False)
    assert path.read_text() == "+\tarticle\thttps://example.org/b\n"
    Frontier(path).close(completed=True)
    assert not path.exists()
