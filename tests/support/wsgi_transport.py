"""A requests transport that hands each request to a WSGI application in process.

``IpaClient(url, login, session=wsgi_session(server.app))`` talks to the
emulator's application without a socket, a thread or a port: the functional
tier runs the whole client (login, cookies, batch, errors) this way.
"""

from __future__ import annotations

import http.cookies
import io
import sys
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
import requests.adapters
from requests.structures import CaseInsensitiveDict


class WsgiAdapter(requests.adapters.BaseAdapter):
    def __init__(self, app: Any) -> None:
        super().__init__()
        self.app = app

    def send(self, request: requests.PreparedRequest, stream: bool = False,
             timeout: Any = None, verify: Any = True, cert: Any = None,
             proxies: Any = None) -> requests.Response:
        url = urlsplit(request.url or "")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method, "PATH_INFO": unquote(url.path),
            "QUERY_STRING": url.query, "SERVER_NAME": url.hostname or "localhost",
            "SERVER_PORT": str(url.port or (443 if url.scheme == "https" else 80)),
            "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "wsgi.version": (1, 0), "wsgi.url_scheme": url.scheme,
            "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
            "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(body)),
        }
        for name, value in request.headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif key != "CONTENT_LENGTH":
                environ["HTTP_" + key] = value
        started: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            started["status"], started["headers"] = status, headers

        chunks = self.app(environ, start_response)
        try:
            content = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        response = requests.Response()
        code, _, reason = started["status"].partition(" ")
        response.status_code, response.reason = int(code), reason
        response.headers = CaseInsensitiveDict(started["headers"])
        response._content = content
        response.url, response.request = request.url or "", request
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        for name, value in started["headers"]:
            if name.lower() == "set-cookie":
                for morsel in http.cookies.SimpleCookie(value).values():
                    response.cookies.set(morsel.key, morsel.value)
        return response

    def close(self) -> None:
        pass


def wsgi_session(app: Any) -> requests.Session:
    session = requests.Session()
    adapter = WsgiAdapter(app)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
