"""Run Datasette on a listening socket handed over by ``mediarchive ui``.

    python -m archive.serve.webui.serve INDEX METADATA FD

Prints READY once the app is built, then serves until terminated.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    index, metadata, fd = Path(argv[0]), Path(argv[1]), int(argv[2])
    import uvicorn
    from datasette.app import Datasette
    from datasette.plugins import pm

    from archive.serve.webui import TEMPLATES, plugin

    from archive.search.normalise import normaliser

    normaliser().text("прогрев warming")  # load the lemmatiser's dictionaries now, not on the first search
    if not pm.is_registered(plugin):
        pm.register(plugin, name="mediarchive-ui")
    datasette = Datasette(
        files=[str(index)],  # read-only connections (mode=ro): a snapshot per query while a crawl writes
        metadata=json.loads(metadata.read_text(encoding="utf-8")),
        template_dir=str(TEMPLATES),
        settings={
            "sql_time_limit_ms": 3000,
            "facet_time_limit_ms": 1500,
            "facet_suggest_time_limit_ms": 200,
            "truncate_cells_html": 300,
            "default_page_size": 50,
            "default_facet_size": 10,
        },
    )
    server = uvicorn.Server(uvicorn.Config(datasette.app(), fd=fd, log_level="warning", lifespan="on"))
    print("READY", flush=True)
    server.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
