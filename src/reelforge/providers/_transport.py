"""The HTTP transport under every adapter: httpx's API over aiohttp's connection pool.

Measured here with 20 requests in flight: httpx's own pool costs ~1.6 ms of CPU per request
(httpcore re-scans every connection, with a socket check each, whenever a request starts or
ends); the same httpx client on this transport ~0.3 ms. At 1,000 tasks polled every 5 s that
is the difference between a worker saturating a core and idling. Adapters keep httpx's API and
its injectable transports (tests still pass their own).

Errors keep the distinction the adapters rely on: a failure to *connect* (nothing was sent)
is ``httpx.ConnectError``; anything after the request may have left is a read/protocol error,
which a submit treats as ambiguous.
"""

from __future__ import annotations

import urllib.request
from collections.abc import AsyncIterator

import aiohttp
import httpx

CONNECTIONS = 64  # per adapter (one provider): plenty for polls, a cap on bursts


def _bypassed(host: str, no_proxy: str) -> bool:
    """NO_PROXY as curl and httpx read it: "*", or hosts and domain suffixes, comma-separated."""
    host = host.lower().strip("[]")
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if entry.startswith("["):  # [::1]:8080
            entry = entry[1:].split("]")[0]
        elif entry.count(":") == 1:  # host:port (a bare IPv6 address has several colons)
            entry = entry.split(":")[0]
        entry = entry.lstrip(".")
        if entry == "*" or (entry and (host == entry or host.endswith("." + entry))):
            return True
    return False


class AiohttpTransport(httpx.AsyncBaseTransport):
    def __init__(self, connections: int = CONNECTIONS) -> None:
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None
        # HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY, as httpx honours them, read once:
        # aiohttp's trust_env re-reads the environment and ~/.netrc on every request, which
        # was a sixth of the CPU of fetching 1,000 finished clips.
        self._proxies = urllib.request.getproxies_environment()
        self._proxy_of: dict[tuple[str, str], str | None] = {}

    def proxy_for(self, url: httpx.URL) -> str | None:
        """The proxy a request to ``url`` goes through, or None (direct)."""
        key = (url.scheme, url.host)
        if key not in self._proxy_of:
            proxy = self._proxies.get(url.scheme) or self._proxies.get("all")
            if proxy and _bypassed(url.host, self._proxies.get("no", "")):
                proxy = None
            self._proxy_of[key] = proxy
        return self._proxy_of[key]

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                cookie_jar=aiohttp.DummyCookieJar(),  # an adapter sends only what it means to
                auto_decompress=False,  # httpx decodes, as it would with its own transport
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {})
        headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() != "host"]
        body = await request.aread()
        try:
            response = await self._get_session().request(
                request.method,
                str(request.url),
                headers=headers,
                data=body or None,
                allow_redirects=False,  # httpx follows them (and drops auth across origins)
                proxy=self.proxy_for(request.url),
                skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
                timeout=aiohttp.ClientTimeout(
                    sock_connect=timeout.get("connect"), sock_read=timeout.get("read")
                ),
            )
        except aiohttp.ClientConnectorError as exc:  # never connected: nothing was sent
            raise httpx.ConnectError(str(exc), request=request) from exc
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "timed out", request=request) from exc
        except aiohttp.ClientError as exc:  # sent, or partly: the outcome is unknown
            raise httpx.ReadError(str(exc), request=request) from exc
        return httpx.Response(
            status_code=response.status,
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.raw_headers],
            stream=_ResponseStream(response),
            request=request,
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_chunked(1 << 16):
                yield chunk
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "timed out") from exc
        except aiohttp.ClientError as exc:  # a body cut short (e.g. a truncated download)
            raise httpx.ReadError(str(exc)) from exc

    async def aclose(self) -> None:
        self._response.release()
