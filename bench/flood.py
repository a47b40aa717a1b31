# Load generator for bench/flood-rss.mjs, deliberately not Node: N connections that send as
# fast as the kernel takes and never read. Loopback only; stops by itself after SECONDS.
import selectors, socket, sys, time

port, conns, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
sel = selectors.DefaultSelector()
block = bytes(range(256)) * 256  # 64 KiB
sent = 0
for _ in range(conns):
    s = socket.create_connection(("127.0.0.1", port))
    s.setblocking(False)
    sel.register(s, selectors.EVENT_WRITE)
end = time.monotonic() + seconds
while time.monotonic() < end:
    for key, _ in sel.select(timeout=0.1):
        try:
            sent += key.fileobj.send(block)
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            sel.unregister(key.fileobj)
print(sent)
