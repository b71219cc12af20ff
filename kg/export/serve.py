"""Preview a written site locally: ``kg serve DIR`` serves it on 127.0.0.1 with working links.

The pages kg writes link with absolute URLs under the site's ``--base-url`` (what search engines
and the sitemap need). For a preview, every HTML, XML and text file is served with that base URL
replaced by the local address (``http://127.0.0.1:PORT/``), so each link, canonical link and
sitemap entry under the base URL leads to the local copy; files on disk are never changed. The
base URL is read from the index page's canonical link (``<link rel="canonical">``, which kg
writes as the base URL), or given with ``--base-url``. Links to other hosts (a host site's URL
patterns on another domain, ORCID, DOIs) are left as they are.

Only 127.0.0.1 is bound: the preview is not reachable from other machines.
"""

from __future__ import annotations

import contextlib
import functools
import io
import re
import sys
from collections.abc import Callable
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kg.errors import UsageError

__all__ = ["PreviewServer", "serve", "site_base"]

_CANONICAL = re.compile(rb'<link rel="canonical" href="([^"]+)"')
_TEXT_TYPES = (".html", ".xml", ".txt", ".jsonld", ".json")


def site_base(root: Path) -> str:
    """The base URL a site in ``root`` was written for (its index page's canonical link).

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "index.html").write_text('<link rel="canonical" href="https://lab.example.org/">')
    >>> site_base(d)
    'https://lab.example.org/'
    """
    index = root / "index.html"
    try:
        head = index.read_bytes()[:8192]
    except OSError:
        raise UsageError(f"{root}: no index.html (write a site first: kg export html --out {root} ...)") from None  # fmt: skip
    m = _CANONICAL.search(head)
    if m is None:
        raise UsageError(f"{index}: no canonical link to read the base URL from (give --base-url)")
    return m.group(1).decode("utf-8").replace("&amp;", "&")


class _Handler(SimpleHTTPRequestHandler):
    """Serves files, with the site's base URL rewritten to the local one in text files."""

    base: bytes = b""
    local: bytes = b""

    def log_message(self, format: str, *args: Any) -> None:
        print(f"{self.address_string()} {format % args}", file=sys.stderr)

    def send_head(self) -> Any:
        if not self.base:
            return super().send_head()
        url_path = self.path.split("?", 1)[0].split("#", 1)[0]
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not url_path.endswith("/"):
                return super().send_head()  # the redirect to the folder's URL with a slash
            path = path / "index.html"
        if path.suffix.lower() not in _TEXT_TYPES or not path.is_file():
            return super().send_head()
        body = path.read_bytes().replace(self.base, self.local)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        return io.BytesIO(body)


class PreviewServer:
    """A running preview of ``root`` (``with PreviewServer(root) as s: s.url``)."""

    def __init__(self, root: str | Path, *, port: int = 8000, base_url: str | None = None):
        self.root = Path(root)
        if not self.root.is_dir():
            raise UsageError(f"{self.root}: not a directory")
        base = base_url or site_base(self.root)
        if not base.endswith("/"):
            base += "/"
        if not 0 <= port <= 65535:
            raise UsageError(f"--port {port}: expected a port number 0-65535 (0: any free port)")
        handler: type[_Handler] = type("Handler", (_Handler,), {"base": base.encode("utf-8")})
        try:
            self.server = ThreadingHTTPServer(
                ("127.0.0.1", port), functools.partial(handler, directory=str(self.root))
            )
        except OSError as e:
            raise UsageError(f"--port {port}: cannot listen on 127.0.0.1 ({e.strerror})") from None
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        handler.local = self.url.encode("utf-8")
        self.base = base

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def close(self) -> None:
        self.server.server_close()

    def __enter__(self) -> PreviewServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve(
    root: str | Path,
    *,
    port: int = 8000,
    base_url: str | None = None,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Serve ``root`` on 127.0.0.1 until interrupted (Ctrl-C); ``announce`` gets the URL line."""
    with PreviewServer(root, port=port, base_url=base_url) as preview:
        if announce is not None:
            announce(f"serving {preview.root} (written for {preview.base}) at {preview.url} — Ctrl-C stops")  # fmt: skip
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: the preview ends, exit 0
            preview.serve_forever()
