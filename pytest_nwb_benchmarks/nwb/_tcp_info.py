"""The bytes a TCP peer has acknowledged, from Linux's ``TCP_INFO``: what really left a socket."""

from __future__ import annotations

import socket
import struct

# offset of tcpi_bytes_acked (u64) in Linux's struct tcp_info (include/uapi/linux/tcp.h)
_TCPI_BYTES_ACKED_OFFSET = 120


def bytes_acked(sock: socket.socket) -> int | None:
    """Bytes this socket has sent that the peer acknowledged so far.

    Parameters
    ----------
    sock : socket.socket
        A connected TCP socket.

    Returns
    -------
    int or None
        ``tcpi_bytes_acked``; ``None`` where unknown (not Linux, or a kernel older than 4.1).
    """
    option = getattr(socket, "TCP_INFO", None)
    if option is None:
        return None
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, option, 256)
    except OSError:
        return None
    if len(info) < _TCPI_BYTES_ACKED_OFFSET + 8:
        return None
    return struct.unpack_from("=Q", info, _TCPI_BYTES_ACKED_OFFSET)[0]
