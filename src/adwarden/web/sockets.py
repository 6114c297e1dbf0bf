"""The listening socket every server of ours binds before uvicorn takes it over."""

from __future__ import annotations

import socket


def tcp_listener(host: str, port: int, *, share_port: bool = False) -> socket.socket:
    """Bound and ready for `uvicorn.Server.run(sockets=[...])`. Raises OSError if the address
    is taken. `share_port` lets several processes bind one port (the kernel spreads
    connections among them)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if share_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    # asyncio sets TCP_NODELAY only on sockets it made itself; without it every small
    # response (an ad decision, say) waits for a delayed ACK, 40 ms
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock
