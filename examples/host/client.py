"""A tiny line client for the example host, for when ``nc`` is not at hand (stdlib only).

Sends the hello given on the command line, then every line of standard input, and prints every
line the host sends. At the end of input it half-closes the connection and waits for the host to
finish answering, so piping a script works:

    printf '%s\n' '{"op": "ping"}' | python examples/host/client.py --port 7878 \\
        '{"hello": "adapter", "name": "telephony"}'
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading


def _print_replies(sock: socket.socket) -> None:
    with sock.makefile("r", encoding="utf-8") as lines:
        for line in lines:
            print(line, end="", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("hello", help='the first line, e.g. {"hello": "desktop", "agent_id": "a1"}')
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7878)
    args = parser.parse_args()
    with socket.create_connection((args.host, args.port)) as sock:
        printer = threading.Thread(target=_print_replies, args=(sock,))
        printer.start()
        sock.sendall(args.hello.strip().encode() + b"\n")
        for line in sys.stdin:
            if line.strip():
                sock.sendall(line.strip().encode() + b"\n")
        sock.shutdown(socket.SHUT_WR)  # "no more lines": the host answers the rest, then hangs up
        printer.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
