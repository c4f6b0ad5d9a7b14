"""What the archive serves on 127.0.0.1: replay through pywb (in its own
environment) and the Datasette web UI, each a child process on a socket
bound here."""
