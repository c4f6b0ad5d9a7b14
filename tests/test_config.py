"""The sources file: loading, defaults, and one clear message per mistake."""

from pathlib import Path

import pytest

from archive.sources import load_config, parse_config
from archive.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]

GOOD = """
defaults: {delay: 2, concurrency: 2, user_agent: "mediarchive (+https://example.org/contact)"}
sources:
  - name: moonofalabama
    start_urls: ["https://www.moonofalabama.org/"]
    feeds: ["https://www.moonofalabama.org/atom.xml"]
    allowed_domains: ["moonofalabama.org"]
    article_pattern: ['/\\d{4}/\\d{2}/[^/]+\\.html$']
    language: en
  - name: other
    start_urls: ["https://news.example.com/"]
    delay: 0.5
    max_pages: 10
"""


def test_the_issue_example_loads_with_defaults_applied():
    config = parse_config(GOOD)
    moa, other = config.sources
    assert moa.delay == 2.0 and moa.concurrency == 2
    assert moa.user_agent == "mediarchive (+https://example.org/contact)"
    assert moa.article_pattern[0].search("https://www.moonofalabama.org/2024/01/a-post.html")
    assert moa.language == "en"
    assert other.delay == 0.5 and other.max_pages == 10
    assert other.allowed_domains == ("news.example.com",)  # defaults to the seeds' hosts
    assert config.source_for_url("https://www.moonofalabama.org/x") == "moonofalabama"
    assert config.source_for_url("https://elsewhere.org/") is None


def test_the_shipped_sources_file_is_valid():
    config = load_config(REPO / "config" / "sources.yaml")
    names = {s.name for s in config.sources}
    assert {"moonofalabama", "svpressa", "escobar", "thesaker"} <= names
    assert "thesaker" not in {s.name for s in config.select(None)}  # closed site: not routine


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sources: [name: x\n  - broken", "malformed YAML at line"),
        ("sources:\n  - name: moa\n    start_url: ['https://a.org/']\n", "source 'moa': unknown key 'start_url' (did you mean 'start_urls'?)"),
        ("sources:\n  - name: moa\n    start_urls: ['https://a.org/']\n    article_pattern: ['(unclosed']\n", "source 'moa': article_pattern: bad regular expression '(unclosed'"),
        ("sources:\n  - name: moa\n    start_urls: ['ftp://a.org/']\n", "source 'moa': start_urls: 'ftp://a.org/' is not an absolute http(s) URL"),
        ("sources:\n  - name: moa\n    start_urls: ['https://a.org/']\n    delay: -1\n", "source 'moa': delay: -1 must be a number of seconds"),
        ("sources:\n  - name: moa\n    start_urls: ['https://a.org/']\n    concurrency: two\n", "source 'moa': concurrency: 'two' must be a whole number"),
        ("sources:\n  - name: moa\n    start_urls: ['https://a.org/']\n    language: english\n", "source 'moa': language: 'english' is not an ISO 639-1 code"),
        ("sources:\n  - name: moa\n    start_urls: ['https://a.org/']\n    allowed_domains: ['b.org']\n", "source 'moa': allowed_domains: seed 'https://a.org/' is outside"),
        ("sources:\n  - name: moa\n", "source 'moa': start_urls: a source needs at least one of"),
        ("sources:\n  - start_urls: ['https://a.org/']\n", "source #1: name: required"),
        ("sources:\n  - name: a\n    start_urls: ['https://a.org/']\n  - name: a\n    start_urls: ['https://a.org/']\n", "source 'a': name: duplicate"),
        ("defaults: {speed: 3}\nsources:\n  - name: a\n    start_urls: ['https://a.org/']\n", "defaults: unknown key 'speed'"),
        ("sources: []\n", "'sources' must be a non-empty list"),
        ("just text\n", "expected a mapping"),
    ],
)
def test_each_mistake_gets_one_message_naming_source_and_key(text, expected):
    with pytest.raises(ConfigError) as caught:
        parse_config(text, Path("sources.yaml"))
    assert expected in caught.value.message
    assert caught.value.message.startswith("sources.yaml: ")
    assert "\n" not in caught.value.message
    assert caught.value.exit_code == 2


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="sources file not found"):
        load_config(tmp_path / "nope.yaml")
