"""The crawler's downloader middlewares: robots.txt, Retry-After, cookies,
and the WARC capture closest to the network."""
