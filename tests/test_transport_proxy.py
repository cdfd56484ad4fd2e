"""The adapters' HTTP transport honours HTTP(S)_PROXY / ALL_PROXY / NO_PROXY (read once, when
the transport is made), as httpx's own transport would."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from reelforge.providers._transport import AiohttpTransport, _bypassed


def test_no_proxy_matches_hosts_domains_ports_and_star() -> None:
    assert _bypassed("api.klingai.com", "klingai.com")
    assert _bypassed("api.klingai.com", ".klingai.com")
    assert _bypassed("klingai.com", "localhost, klingai.com:443")
    assert _bypassed("anything.example", "*")
    assert _bypassed("::1", "[::1]:8080") and _bypassed("::1", "::1")
    assert not _bypassed("notklingai.com", "klingai.com")
    assert not _bypassed("api.klingai.com", "")


def test_proxies_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,internal.corp")
    transport = AiohttpTransport()
    api = "api.provider.test/v1/videos"
    assert transport.proxy_for(httpx.URL(f"https://{api}")) == "http://proxy.corp:3128"
    assert transport.proxy_for(httpx.URL(f"http://{api}")) is None  # no HTTP_PROXY set
    assert transport.proxy_for(httpx.URL("https://127.0.0.1:8000/v1")) is None
    assert transport.proxy_for(httpx.URL("https://files.internal.corp/a.mp4")) is None


def test_a_request_goes_through_the_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain-HTTP proxy on loopback sees the absolute URL; the answer comes back through it."""
    seen: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        seen.append(head.split(b"\r\n")[0])
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\nproxied")
        await writer.drain()
        writer.close()

    async def main() -> httpx.Response:
        server = await asyncio.start_server(proxy, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.delenv("http_proxy", raising=False)
        async with server, httpx.AsyncClient(transport=AiohttpTransport()) as client:
            response = await client.get("http://provider.invalid/v1/tasks/1")
            await response.aread()
            return response

    response = asyncio.run(main())
    assert response.text == "proxied"
    assert seen == [b"GET http://provider.invalid/v1/tasks/1 HTTP/1.1"]
