"""Opens N keep-alive connections, each answered once, and holds them idle.

Used by bench/compare to read a server's RSS with 10,000 idle connections.
"""
import selectors
import socket


def open_idle(port, count, path="/v1/avatar", timeout=60):
    """Returns the open sockets once every one has had a complete response."""
    request = f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
    selector = selectors.DefaultSelector()
    sockets = []
    pending = {}
    for _ in range(count):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        sockets.append(s)
        pending[s] = b""
        selector.register(s, selectors.EVENT_WRITE)
    import time
    deadline = time.time() + timeout
    while pending and time.time() < deadline:
        for key, events in selector.select(timeout=1):
            s = key.fileobj
            if events & selectors.EVENT_WRITE:
                s.send(request)
                selector.modify(s, selectors.EVENT_READ)
            elif events & selectors.EVENT_READ:
                chunk = s.recv(65536)
                if not chunk:
                    raise RuntimeError("server closed an idle connection")
                pending[s] += chunk
                head, sep, body = pending[s].partition(b"\r\n\r\n")
                if sep:
                    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length:"))
                    if len(body) >= length:
                        selector.unregister(s)
                        del pending[s]
    selector.close()
    if pending:
        raise RuntimeError(f"{len(pending)} connections got no answer")
    return sockets
