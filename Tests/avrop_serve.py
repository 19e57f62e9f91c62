"""`avrop serve --demo` for the Python-driven tests (browser journeys, API fuzzing): its own data directory
and port, ready when /readyz answers 200, stopped (with its database) afterwards."""
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(demo_password, prefix):
    """Yields the base URL of a fresh service with demo data (password `demo_password`)."""
    binary = os.environ["AVROP_BINARY"]
    directory = tempfile.mkdtemp(prefix=prefix)
    port = free_port()
    env = dict(os.environ, AVROP_DEMO_PASSWORD=demo_password, AVROP_LOG_LEVEL="warning")
    log = open(os.path.join(directory, "serve.log"), "w")
    process = subprocess.Popen(
        [binary, "serve", "--demo", "--port", str(port), "--data-dir", os.path.join(directory, "data")],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                if urllib.request.urlopen(base + "/readyz", timeout=2).status == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.time() > deadline:
                log.flush()
                raise RuntimeError("avrop serve did not become ready:\n" + open(log.name).read())
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(directory, ignore_errors=True)
