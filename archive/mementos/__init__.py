"""Copies of a source's pages held by public web archives (mementos).

An outlet that has closed (The Saker) lives on only in web archives: the
Wayback Machine and others that speak its CDX API or the Memento protocol
(RFC 7089). ``mediarchive recover`` asks them which captures they hold
(:mod:`.cdx`, :mod:`.timemap`), keeps the article captures not yet in the
archive (:mod:`.select`), and fetches each one's raw form through the
crawler. :mod:`.memento` says what a memento is and how the page it holds is
replayed: with the outlet's headers, not the archive's.
"""
