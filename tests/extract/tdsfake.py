"""tdsfake: a SQL Server for one test whose sessions the test changes by
subclassing the fake server's Session (tests/servers/tds/session.py).

    from tdsfake import Session, serve
    class Odd(Session): ...
    serve(Odd, PORT_FILE, DB_FILE)

serve() listens on 127.0.0.1, writes the port to PORT_FILE once it
listens (temporary name, then rename), logs in pohoda_sync with
pohoda-test-pw, and stops taking connections after SECONDS by itself.
"""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "servers"))
from tds.session import Session  # noqa: E402,F401 (for the tests)


class Config:
    db = None
    dbname = "POHODA"
    writable = False
    textsize = 2147483647
    users = {"pohoda_sync": "pohoda-test-pw"}
    synthetic = None


def serve(session_class, port_file, db, seconds=60):
    Config.db = db
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(4)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    deadline = time.time() + seconds
    while time.time() < deadline:
        c, _ = s.accept()
        threading.Thread(target=session_class(c, Config, 51).run,
                         daemon=True).start()
