"""Run by pywb's own Python (never imported by mediarchive): serve pywb on a
listening socket the parent process bound and passed as a file descriptor.

    python pywb_child.py CONFIG.yaml FD
"""

from gevent.monkey import patch_all

patch_all()

import socket  # noqa: E402
import sys  # noqa: E402

from gevent.pywsgi import WSGIServer  # noqa: E402
from pywb.apps.frontendapp import FrontEndApp  # noqa: E402


def main() -> None:
    config, fd = sys.argv[1], int(sys.argv[2])
    app = FrontEndApp(config_file=config)
    listener = socket.socket(fileno=fd)
    print("READY", flush=True)
    WSGIServer(listener, app, log=None, error_log=sys.stderr).serve_forever()


if __name__ == "__main__":
    main()
