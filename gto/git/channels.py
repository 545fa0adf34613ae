"""Where gto's own protocol v2 requests go (gto.git.upload_pack): a socket, an ssh
process, or two HTTP requests; each within the limits of gto.git.client.

Used for the first fetch into a remote's cache. A server that does not speak protocol
v2, or an HTTP server that answers the first request with anything but v2's
capabilities, gets no channel: dulwich's fetch then does the work and reports errors.
"""

from __future__ import annotations

import base64
import shlex
import socket
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse, urlsplit

from gto.git.client import Meter, connect, metered_pool, without_userinfo
from gto.git.upload_pack import V2Channel, pkt, read_pkts
from gto.settings import Limits

if TYPE_CHECKING:
    from dulwich.config import StackedConfig

__all__ = ["open_upload_pack_v2"]


def open_upload_pack_v2(
    url: str,
    *,
    config: StackedConfig,
    limits: Limits,
    meter: Meter,
    environ: Mapping[str, str],
) -> V2Channel | None:
    """A protocol v2 channel to `url`'s upload-pack, within `limits`; None when the server
    does not speak v2 (or the URL is a local path): the caller then uses dulwich's fetch."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == "git":
        return _git_channel(url, limits, meter)
    if scheme in ("http", "https"):
        return _http_channel(url, config, limits, meter)
    if scheme == "file":
        return None
    client, path = connect(url, config=config, limits=limits, meter=meter, environ=environ)
    from dulwich.client import SSHGitClient

    if not isinstance(client, SSHGitClient):
        return None
    path = path[1:] if path.startswith("/~") else path
    command = b"git-upload-pack " + shlex.quote(path).encode("utf-8", "surrogateescape")
    extra: dict[str, Any] = {
        key: getattr(client, key)
        for key in ("password", "key_filename", "ssh_command")
        if getattr(client, key, None) is not None
    }
    connection = client.ssh_vendor.run_command(
        client.host, command, port=client.port, username=client.username,
        protocol_version=2, **extra,
    )  # fmt: skip
    return _stream_channel(connection.read, connection.write, connection.close)


def _git_channel(url: str, limits: Limits, meter: Meter) -> V2Channel | None:
    parts = urlparse(url)
    host, path = parts.hostname or "localhost", parts.path
    path = path[1:] if path.startswith("/~") else path
    sock = socket.create_connection((host, parts.port or 9418), timeout=limits.timeout)
    rfile = sock.makefile("rb")

    def close() -> None:
        rfile.close()
        sock.close()

    # `host=` as git sends it: the URL's host and port, an IPv6 host in its brackets.
    hostport = parts.netloc.rpartition("@")[2].encode()
    request = b"git-upload-pack %s\0host=%s\0\0version=2\0" % (path.encode(), hostport)
    try:
        sock.sendall(pkt(request))
    except BaseException:
        close()
        raise
    return _stream_channel(meter.wrap(rfile.read), sock.sendall, close)


def _stream_channel(
    read: Callable[[int], bytes], write: Callable[[bytes], object], close: Callable[[], None]
) -> V2Channel | None:
    """A channel over one connection: the capabilities come first, then one request."""
    try:
        capabilities = _capabilities(read_pkts(read))
    except TimeoutError:
        close()
        raise
    except (OSError, ValueError):
        capabilities = None  # closed, or an ERR line: dulwich's fetch says why, as below
    except BaseException:
        close()
        raise
    if capabilities is None:
        close()
        return None

    def request(body: bytes) -> Callable[[int], bytes]:
        write(body)
        return read

    return V2Channel(capabilities, request, close)


def _capabilities(lines: Iterable[bytes | None]) -> list[bytes] | None:
    """The capability advertisement of a v2 server (to its flush); None from an older one."""
    found: list[bytes] = []
    for line in lines:
        if line is None:
            continue
        text = line.rstrip(b"\n")
        if text.startswith(b"# service="):
            continue
        if not found and text != b"version 2":
            return None
        found.append(text)
    return found[1:] if found else None


def _http_channel(
    url: str, config: StackedConfig, limits: Limits, meter: Meter
) -> V2Channel | None:
    import urllib3

    parts = urlparse(url)
    plain = without_userinfo(url).rstrip("/")
    pool = metered_pool(url, config, limits, meter)
    headers = {"Git-Protocol": "version=2"}
    if parts.username is not None:
        userinfo = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(userinfo.encode()).decode()

    responses: list[Any] = []

    def close() -> None:
        for response in responses:
            response.release_conn()  # back to the pool, which closes them all
        pool.clear()

    def answer(method: str, path: str, **kw: Any) -> Any:
        response = pool.request(
            method, f"{plain}/{path}", headers={**headers, **kw.pop("headers", {})},
            preload_content=False, **kw,
        )  # fmt: skip
        if response.status != 200:
            response.drain_conn()  # read, and back to the pool
            raise OSError(f"unexpected http resp {response.status} for {plain}/{path}")
        responses.append(response)
        return response

    try:
        advertised = answer("GET", "info/refs?service=git-upload-pack")
        capabilities = _capabilities(read_pkts(advertised.read))
        while advertised.read(1 << 16):  # the rest (an older server's ref advertisement)
            pass
        advertised.close()
    except (urllib3.exceptions.TimeoutError, TimeoutError) as e:
        close()
        raise TimeoutError(f"timed out: no data for {limits.timeout:g} s") from e
    except (urllib3.exceptions.HTTPError, OSError, ValueError):
        capabilities = None  # refused, not found, not git: dulwich's fetch says why
    if capabilities is None:  # (or protocol v0/v1: its ref advertisement came instead)
        close()
        return None

    def request(body: bytes) -> Callable[[int], bytes]:
        response = answer(
            "POST",
            "git-upload-pack",
            body=body,
            headers={
                "Content-Type": "application/x-git-upload-pack-request",
                "Accept": "application/x-git-upload-pack-result",
            },
        )
        reader: Callable[[int], bytes] = response.read
        return reader

    return V2Channel(capabilities, request, close)
