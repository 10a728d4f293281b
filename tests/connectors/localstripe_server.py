"""Run localstripe on 127.0.0.1 only (its own entry point listens on every interface) and
without its pickle in /tmp (shared by every run on the machine): `python -m ... PORT`."""

import sys

from aiohttp import web
from localstripe import resources, server

resources.store.dump_to_disk = lambda: None  # type: ignore[method-assign]
web.run_app(server.app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
