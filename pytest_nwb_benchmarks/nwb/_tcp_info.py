"""What really left a TCP socket, from Linux's ``TCP_INFO``, rather than what an application queued."""

from __future__ import annotations

import socket
import struct

# offsets in Linux's struct tcp_info (include/uapi/linux/tcp.h)
_TCPI_BYTES_ACKED_OFFSET = 120  # u64, Linux >= 4.1
_TCPI_BYTES_SENT_OFFSET = 200  # u64 tcpi_bytes_sent, then u64 tcpi_bytes_retrans; Linux >= 4.19


def bytes_transmitted(sock: socket.socket) -> int | None:
    """Bytes of payload this socket has put on the wire so far, each counted once.

    This is what a packet capture would see leave the host: it includes what is in flight or sitting
    unread in the peer's receive buffer, and excludes what is still queued in this socket's send buffer.
    It is never less than what the peer's application has read, which the peer's acknowledgements can be
    (a delayed ACK may be outstanding when the peer hangs up).

    Parameters
    ----------
    sock : socket.socket
        A connected TCP socket.

    Returns
    -------
    int or None
        ``tcpi_bytes_sent - tcpi_bytes_retrans``; on kernels older than 4.19, ``tcpi_bytes_acked``;
        ``None`` where neither is known (not Linux, or a kernel older than 4.1).
    """
    option = getattr(socket, "TCP_INFO", None)
    if option is None:
        return None
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, option, 256)
    except OSError:
        return None
    if len(info) >= _TCPI_BYTES_SENT_OFFSET + 16:
        sent, retransmitted = struct.unpack_from("=QQ", info, _TCPI_BYTES_SENT_OFFSET)
        return sent - retransmitted
    if len(info) >= _TCPI_BYTES_ACKED_OFFSET + 8:
        return struct.unpack_from("=Q", info, _TCPI_BYTES_ACKED_OFFSET)[0]
    return None
