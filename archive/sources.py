"""The sources file (`config/sources.yaml`) loaded into typed, validated objects.

The file holds optional top-level ``defaults`` and a list of ``sources``; each
source inherits every default it does not set itself. Anything wrong is
reported as one :class:`ConfigError` naming the source, the key and the
problem, so the CLI can print a single line and exit with code 2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from archive.errors import ConfigError
from archive.extract.rules import ExtractionRules
from archive.index.schedule import DEFAULT_RECHECK, parse_schedule
from archive.sourcelimits import limits_of
from archive.urls import SCHEMES as URL_SCHEMES, TRACKING_QUERY, TRAILING_SLASH, UrlForm

DEFAULT_USER_AGENT = "mediarchive (+https://github.com/mediarchive/mediarchive)"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Source:
    """One outlet to crawl, with every default already applied."""

    name: str
    start_urls: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] = ()
    article_pattern: tuple[re.Pattern[str], ...] = ()
    follow_pattern: tuple[re.Pattern[str], ...] = ()
    deny_pattern: tuple[re.Pattern[str], ...] = ()
    language: str | None = None
    max_pages: int | None = None
    delay: float = 2.0
    concurrency: int = 2
    #: seconds a download may take (connection, head and body)
    timeout: float = 60.0
    #: bytes of a body archived at most: a longer one is cut there and marked truncated
    max_body_size: int = 64 * 1024 * 1024
    user_agent: str = DEFAULT_USER_AGENT
    obey_robots: bool = True
    enabled: bool = True
    recheck: tuple[timedelta, ...] = field(default_factory=lambda: parse_schedule(DEFAULT_RECHECK))
    timezone: str | None = None
    extraction: ExtractionRules | None = None
    comments: str | None = None
    reprints: bool = False
    byline: str | None = None
    requisites: bool = True
    #: hosts an article's stylesheets, images and fonts may come from besides
    #: allowed_domains (a CDN); None: whichever hosts the article page loads them from
    requisite_domains: tuple[str, ...] | None = None
    closed: bool = False
    routine_pages: int = 5
    backfill_urls: tuple[str, ...] = ()
    backfill_since: str | None = None
    notes: str | None = None
    #: ``recover``: the domains to ask web archives about (default: allowed_domains),
    #: the archives (CDX endpoints or TimeMap prefixes; default: the Wayback Machine) and the years
    recover_domains_: tuple[str, ...] = ()
    recover_archives: tuple[str, ...] = ()
    recover_since: str | None = None
    recover_until: str | None = None
    #: How the source writes its URLs: links are matched, de-duplicated and fetched in this form.
    url_form: UrlForm = field(default_factory=UrlForm)

    def is_article_url(self, url: str) -> bool:
        """Whether a page at ``url`` is one of this source's articles by its
        patterns: it matches ``article_pattern`` (any page does, for a source
        without one) and no ``deny_pattern``."""
        if any(p.search(url) for p in self.deny_pattern):
            return False
        return not self.article_pattern or any(p.search(url) for p in self.article_pattern)

    @property
    def recover_domains(self) -> tuple[str, ...]:
        return self.recover_domains_ or self.allowed_domains

    def extraction_options(self) -> ExtractionOptions:
        """What the indexer needs to extract this source's pages right."""
        return ExtractionOptions(self.extraction, self.language, self.comments, self.reprints, self.byline)


@dataclass(frozen=True)
class ExtractionOptions:
    """Per-source extraction knowledge, passed to the indexer's workers."""

    rules: ExtractionRules | None = None
    language: str | None = None
    comments: str | None = None  # "typepad": comments inline after the post
    reprints: bool = False  # fingerprint texts to find the same work on several sites
    byline: str | None = None  # regex: only pages whose author matches are indexed as articles

    @property
    def seeds(self) -> tuple[str, ...]:
        """Every URL a crawl of this source starts from."""
        return self.start_urls + self.feeds + self.sitemaps


@dataclass(frozen=True)
class Config:
    """The whole sources file."""

    sources: tuple[Source, ...]
    path: Path | None = None
    #: the file's ``defaults``, as written (checked): what a page of no source is fetched with
    defaults: dict[str, Any] = field(default_factory=dict, compare=False)

    def source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"{self._where()}no source named {name!r} (known: {known})")

    def select(self, names: list[str] | tuple[str, ...] | None) -> tuple[Source, ...]:
        """The sources to crawl: those named, else every enabled one."""
        if names:
            return tuple(self.source(n) for n in names)
        return tuple(s for s in self.sources if s.enabled and not s.closed)

    def extraction_options(self) -> dict[str, ExtractionOptions]:
        return {source.name: source.extraction_options() for source in self.sources}

    def unlisted_source(self, name: str, urls: tuple[str, ...]) -> Source:
        """A source for pages of no source of the file (``add``): their
        hosts as its domains, the file's defaults for the rest."""
        hosts = tuple(dict.fromkeys(urlsplit(url).hostname or "" for url in urls))
        return _build_source({**self.defaults, "name": name, "start_urls": list(urls), "allowed_domains": list(hosts)},
                             f"{self._where()}defaults")

    def source_for_url(self, url: str) -> str | None:
        """The name of the first source whose allowed domains hold ``url``."""
        host = (urlsplit(url).hostname or "").lower()
        for source in self.sources:
            if any(host_in_domain(host, d) for d in source.allowed_domains):
                return source.name
        return None

    def is_article_url(self, source: str | None, url: str) -> bool:
        """Whether ``url`` is an article of the source named ``source`` by its
        patterns (:meth:`Source.is_article_url`); True for a source this file
        does not know, which has no patterns to say otherwise."""
        for known in self.sources:
            if known.name == source:
                return known.is_article_url(known.url_form.canonical(url))
        return True

    def canonical_url(self, source: str | None, url: str) -> str:
        """``url`` in the URL form of the source named ``source`` (the one its
        crawls request); as it is for a source this file does not know."""
        for known in self.sources:
            if known.name == source:
                return known.url_form.canonical(url)
        return url

    def _where(self) -> str:
        return f"{self.path}: " if self.path else ""


def host_in_domain(host: str, domain: str) -> bool:
    """True when ``host`` is ``domain`` or one of its subdomains."""
    host, domain = host.lower().rstrip("."), domain.lower().rstrip(".")
    return host == domain or host.endswith("." + domain)


_LIST_OF_URLS = ("start_urls", "feeds", "sitemaps")
_LIST_OF_PATTERNS = ("article_pattern", "follow_pattern", "deny_pattern")
#: Keys of a source's URL form (archive.urls.UrlForm), given flat in the sources file.
_URL_FORM_KEYS = {"scheme", "strip_query", "keep_query", "trailing_slash"}
_RECOVER_FIELDS = {"recover_domains_", "recover_archives", "recover_since", "recover_until"}
_KNOWN_KEYS = (
    {f.name for f in fields(Source)} - {"backfill_urls", "backfill_since", "url_form"} - _RECOVER_FIELDS
    | {"backfill", "recover"} | _URL_FORM_KEYS
)
_DEFAULTABLE = _KNOWN_KEYS - {"name", "start_urls", "feeds", "sitemaps", "notes", "extraction", "backfill", "recover"}
COMMENT_STYLES = ("typepad",)


def load_config(path: str | Path) -> Config:
    """Read and validate a sources file; raise :class:`ConfigError` on any problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: sources file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read sources file: {exc}") from None
    return parse_config(text, path)


def parse_config(text: str, path: Path | None = None) -> Config:
    """Validate the YAML text of a sources file."""
    where = f"{path}: " if path else ""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}malformed YAML{at}: {problem}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{where}expected a mapping with a 'sources' list at the top level")
    unknown = set(data) - {"defaults", "sources"}
    if unknown:
        raise ConfigError(f"{where}unknown top-level key {sorted(unknown)[0]!r} (expected 'defaults', 'sources')")

    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise ConfigError(f"{where}'defaults' must be a mapping")
    for key in defaults:
        if key not in _DEFAULTABLE:
            raise ConfigError(f"{where}defaults: unknown key {key!r}{_suggest(key, _DEFAULTABLE)}")

    raw_sources = data.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise ConfigError(f"{where}'sources' must be a non-empty list")

    sources: list[Source] = []
    seen: set[str] = set()
    for position, raw in enumerate(raw_sources, 1):
        label = f"{where}source #{position}"
        if not isinstance(raw, dict):
            raise ConfigError(f"{label}: expected a mapping of keys, got {type(raw).__name__}")
        name = raw.get("name")
        if isinstance(name, str) and name:
            label = f"{where}source {name!r}"
        source = _build_source({**defaults, **raw}, label)
        if source.name in seen:
            raise ConfigError(f"{label}: name: duplicate source name")
        seen.add(source.name)
        sources.append(source)
    return Config(sources=tuple(sources), path=path, defaults=dict(defaults))


def _build_source(raw: dict[str, Any], label: str) -> Source:
    for key in raw:
        if key not in _KNOWN_KEYS:
            raise ConfigError(f"{label}: unknown key {key!r}{_suggest(key, _KNOWN_KEYS)}")

    def fail(key: str, problem: str) -> ConfigError:
        return ConfigError(f"{label}: {key}: {problem}")

    values: dict[str, Any] = {}
    name = raw.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise fail("name", "required; lowercase letters, digits, '-' or '_' (at most 64)")
    values["name"] = name

    for key in _LIST_OF_URLS:
        urls = _string_list(raw.get(key), key, fail)
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise fail(key, f"{url!r} is not an absolute http(s) URL")
        values[key] = urls
    if not (values["start_urls"] or values["feeds"] or values["sitemaps"]):
        raise fail("start_urls", "a source needs at least one of start_urls, feeds or sitemaps")

    domains = _string_list(raw.get("allowed_domains"), "allowed_domains", fail)
    for domain in domains:
        if "/" in domain or ":" in domain or not domain.strip("."):
            raise fail("allowed_domains", f"{domain!r} must be a bare host name such as 'example.org'")
    if not domains:  # default: the hosts of the seeds
        domains = tuple(dict.fromkeys(urlsplit(u).hostname for u in values["start_urls"] + values["feeds"] + values["sitemaps"]))
    values["allowed_domains"] = domains
    if raw.get("requisite_domains") is not None:
        requisite_domains = _string_list(raw["requisite_domains"], "requisite_domains", fail)
        for domain in requisite_domains:
            if "/" in domain or ":" in domain or not domain.strip("."):
                raise fail("requisite_domains", f"{domain!r} must be a bare host name such as 'cdn.example.org'")
        values["requisite_domains"] = requisite_domains
    for url in values["start_urls"] + values["feeds"] + values["sitemaps"]:
        host = urlsplit(url).hostname or ""
        if not any(host_in_domain(host, d) for d in domains):
            raise fail("allowed_domains", f"seed {url!r} is outside allowed_domains {list(domains)}")

    for key in _LIST_OF_PATTERNS:
        compiled = []
        for pattern in _string_list(raw.get(key), key, fail):
            try:
                compiled.append(re.compile(pattern))
            except re.error as exc:
                raise fail(key, f"bad regular expression {pattern!r}: {exc}") from None
        values[key] = tuple(compiled)

    language = raw.get("language")
    if language is not None:
        if not isinstance(language, str) or not re.fullmatch(r"[a-z]{2}", language):
            raise fail("language", f"{language!r} is not an ISO 639-1 code such as 'en' or 'ru'")
        values["language"] = language

    values.update(limits_of(raw, fail))
    if "user_agent" in raw:
        agent = raw["user_agent"]
        if not isinstance(agent, str) or not agent.strip():
            raise fail("user_agent", "must be a non-empty string naming the archive and a contact URL")
        values["user_agent"] = agent.strip()
    if raw.get("timezone") is not None:
        from archive.extract.dates import zone

        try:
            zone(str(raw["timezone"]))
        except (ValueError, KeyError) as exc:
            raise fail("timezone", f"{raw['timezone']!r} is not an IANA time zone such as 'Europe/Moscow' ({exc})") from None
        values["timezone"] = str(raw["timezone"])
    if raw.get("extraction") is not None:
        if not isinstance(raw["extraction"], dict):
            raise fail("extraction", "must be a mapping of title/body/date/author selectors")
        try:
            values["extraction"] = ExtractionRules.from_mapping(raw["extraction"], default_timezone=values.get("timezone"))
        except ValueError as exc:
            raise ConfigError(f"{label}: {exc}") from None
    if raw.get("byline") is not None:
        try:
            re.compile(str(raw["byline"]))
        except re.error as exc:
            raise fail("byline", f"bad regular expression {raw['byline']!r}: {exc}") from None
        values["byline"] = str(raw["byline"])
    if raw.get("comments") is not None:
        if raw["comments"] not in COMMENT_STYLES:
            raise fail("comments", f"{raw['comments']!r} is not one of {', '.join(COMMENT_STYLES)}")
        values["comments"] = raw["comments"]
    for key in ("obey_robots", "enabled", "reprints", "closed", "requisites"):
        if key in raw:
            if not isinstance(raw[key], bool):
                raise fail(key, f"{raw[key]!r} must be true or false")
            values[key] = raw[key]
    if "recheck" in raw:
        values["recheck"] = parse_schedule(_string_list(raw["recheck"], "recheck", fail), f"{label}: recheck")
    if raw.get("backfill") is not None:
        backfill = raw["backfill"]
        if not isinstance(backfill, dict) or set(backfill) - {"urls", "since"}:
            raise fail("backfill", "must be a mapping with 'urls' (templates) and optionally 'since' (YYYY-MM-DD)")
        urls = _string_list(backfill.get("urls"), "backfill.urls", fail)
        for url in urls:
            try:
                example = url.format(year=2024, month=1, page=2)
            except (KeyError, IndexError, ValueError) as exc:
                raise fail("backfill.urls", f"{url!r}: use only {{year}}, {{month:02d}} and {{page}} ({exc})") from None
            if urlsplit(example).scheme not in ("http", "https"):
                raise fail("backfill.urls", f"{url!r} is not an absolute http(s) URL template")
        values["backfill_urls"] = urls
        since = backfill.get("since")
        if since is not None:
            since = str(since)
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", since):
                raise fail("backfill.since", f"{since!r} is not a date YYYY-MM-DD")
            values["backfill_since"] = since
    if raw.get("recover") is not None:
        from archive.mementos.entry import recover_entry

        values.update(recover_entry(raw["recover"], fail, _string_list))
    if raw.get("notes") is not None:
        values["notes"] = str(raw["notes"])
    values["url_form"] = _url_form(raw, values["start_urls"] + values["feeds"] + values["sitemaps"], fail)
    return Source(**values)


def _url_form(raw: dict[str, Any], seeds: tuple[str, ...], fail) -> UrlForm:
    """The source's URL form; http and https are one site, written as the
    seeds write it, unless ``scheme`` says otherwise."""
    scheme = raw.get("scheme")
    if scheme is None:
        schemes = {urlsplit(url).scheme for url in seeds}
        scheme = schemes.pop() if len(schemes) == 1 else None
    elif scheme not in URL_SCHEMES:
        raise fail("scheme", f"{scheme!r} is not one of {', '.join(URL_SCHEMES)}")
    keep = raw.get("keep_query")
    if keep is not None and raw.get("strip_query") is not None:
        raise fail("keep_query", "give strip_query (parameters dropped) or keep_query (the only ones kept), not both")
    slash = raw.get("trailing_slash", "keep")
    if slash not in TRAILING_SLASH:
        raise fail("trailing_slash", f"{slash!r} is not one of {', '.join(TRAILING_SLASH)}")
    return UrlForm(
        scheme=scheme,
        strip_query=TRACKING_QUERY + _string_list(raw.get("strip_query"), "strip_query", fail),
        keep_query=_string_list(keep, "keep_query", fail) if keep is not None else None,
        trailing_slash=slash,
    )


def _string_list(value: Any, key: str, fail) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise fail(key, "must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _suggest(key: str, known: set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(str(key), sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
