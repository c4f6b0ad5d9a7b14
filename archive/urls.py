"""A source's URLs in one form: the canonical URL that discovery matches
against the source's patterns, de-duplicates and fetches.

News sites link one article in many ways: with tracking queries
(svpressa.ru's ``?rpop=1``, ``?vp2018=1``; ``utm_*`` everywhere), over
``http://`` as well as ``https://``, with and without the trailing slash.
Matched as linked, one article is fetched several times, or never (a pattern
written for the https form misses the http one). So every link is brought to
its source's canonical form first, as :class:`UrlForm` describes it:

- ``scheme``: http and https are one site, written with this scheme;
- ``strip_query``: query parameters dropped (names, or shell patterns such
  as ``utm_*``), or ``keep_query``: the only ones kept (``[page]``);
- ``trailing_slash``: ``add`` (to a path whose last part has no dot) or
  ``remove``.

The canonical URL is the one requested, so the WARC holds what was really
asked for, and the index and the de-duplication see one URL per article.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from w3lib.url import url_query_cleaner

#: Query parameters that only say where a reader came from, dropped from every source's URLs.
TRACKING_QUERY = ("utm_*", "fbclid", "gclid", "yclid", "mc_cid", "mc_eid", "_openstat", "from_block")
TRAILING_SLASH = ("add", "remove", "keep")
SCHEMES = ("http", "https")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class UrlForm:
    """How one source writes its URLs (see the module's description)."""

    scheme: str | None = None
    strip_query: tuple[str, ...] = TRACKING_QUERY
    keep_query: tuple[str, ...] | None = None
    trailing_slash: str = "keep"

    def canonical(self, url: str) -> str:
        """``url`` in this form; a URL that is not http(s) is returned as it is."""
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES:
            return url
        if parts.query:
            names = {name for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
            dropped = sorted(name for name in names if self._drops(name))
            if dropped:
                parts = urlsplit(url_query_cleaner(url, dropped, remove=True, unique=False, keep_fragments=True))
        scheme, netloc = parts.scheme, parts.netloc
        if self.scheme and scheme != self.scheme:
            if parts.port == _DEFAULT_PORTS[scheme]:
                netloc = netloc.rsplit(":", 1)[0]
            scheme = self.scheme
        path = parts.path
        if self.trailing_slash == "add" and path and not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
            path += "/"
        elif self.trailing_slash == "remove" and len(path) > 1 and path.endswith("/"):
            path = path.rstrip("/") or "/"
        return urlunsplit((scheme, netloc, path, parts.query, parts.fragment))

    def _drops(self, name: str) -> bool:
        if self.keep_query is not None and name not in self.keep_query:
            return True
        return any(fnmatchcase(name, pattern) for pattern in self.strip_query)
