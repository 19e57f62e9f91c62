"""Fuzzes every operation of openapi.yaml with schemathesis, as each demo role and as nobody, against a
fresh `avrop serve --demo` (issue 18): no server error, no status code the document does not list, every
answer in the document's schema and content type. Exits non-zero on any failure."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

DEMO_PASSWORD = "demo-lösenord-för-fuzzning"
ROLES = [
    "ramavtal@demo.avrop.se", "upphandlare@demo.avrop.se", "avtalsforvaltare@demo.avrop.se",
    "leverantor@demo.avrop.se", "revisor@demo.avrop.se", "admin@demo.avrop.se",
]
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def token(base, email):
    body = json.dumps({"email": email, "password": DEMO_PASSWORD, "name": "schemathesis"}).encode()
    request = urllib.request.Request(base + "/api/v1/tokens", data=body, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["token"]


def main():
    binary = os.environ["AVROP_BINARY"]
    spec = os.path.join(os.path.dirname(__file__), "..", "..", "Sources", "AvropAPI", "openapi.yaml")
    directory = tempfile.mkdtemp(prefix="avrop-fuzz-")
    port = free_port()
    env = dict(os.environ, AVROP_DEMO_PASSWORD=DEMO_PASSWORD, AVROP_LOG_LEVEL="warning")
    log = open(os.path.join(directory, "serve.log"), "w")
    process = subprocess.Popen(
        [binary, "serve", "--demo", "--port", str(port), "--data-dir", os.path.join(directory, "data")],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    failed = []
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
        # Every token first: a fuzzed DELETE /tokens/{id} of one role must not cost another its own.
        callers = [("nobody", None)] + [(email, token(base, email)) for email in ROLES]
        examples = os.environ.get("AVROP_FUZZ_EXAMPLES", "10")
        for name, secret in callers:
            # The CLI through this Python, so that it needs no script on PATH (pip's bin directory may not be).
            command = [sys.executable, "-c", "import sys; from schemathesis.cli import schemathesis; sys.argv[0] = 'st'; schemathesis()",
                       "run", spec, "--url", base + "/api/v1", "--checks", CHECKS, "--max-examples", examples,
                       "--generation-deterministic", "--no-color"]
            if secret:
                command += ["--header", f"Authorization: Bearer {secret}"]
            print(f"---- schemathesis as {name}", flush=True)
            result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
            summary = result.stdout.strip().splitlines()
            print("\n".join(summary[-3:]), flush=True)
            if result.returncode != 0:
                failed.append(name)
                print(result.stdout, flush=True)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(directory, ignore_errors=True)
    if failed:
        print("schemathesis found failures as: " + ", ".join(failed))
        sys.exit(1)
    print("schemathesis: no failures as any caller")


if __name__ == "__main__":
    main()
