"""A GrowthOS server on 127.0.0.1 running in a thread of this process (uvicorn, a free port): for the demo,
which sends its app events through the real collector API, and for tests that need a live server."""

from __future__ import annotations

import threading
import time

import uvicorn

from growthos.config import Settings
from growthos.core.errors import GrowthOSError
from growthos.server.app import create_app


class BackgroundServer:
    """``with BackgroundServer(settings) as url:`` serves until the block ends."""

    def __init__(self, settings: Settings, *, startup_timeout_s: float = 60.0) -> None:
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning",
                                access_log=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self.app = config.app
        self._timeout = startup_timeout_s
        self._thread = threading.Thread(target=self.server.run, name="growthos-background-server", daemon=True)

    def start(self) -> str:
        """Start serving; the base URL once the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + self._timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise GrowthOSError("the background server did not start; see the log above")
            time.sleep(0.02)
        host, port = self.server.servers[0].sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=60)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
