"""Full-text search in Russian and English: words reduced to one search
form, the query language, the FTS5 table, snippets, and names across
scripts."""
