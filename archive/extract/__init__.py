"""From an archived page to an article: decoding, trafilatura's extraction
and a source's own rules, language, dates, inline comments, reprint
fingerprints, and the job an extraction worker runs on one page."""
