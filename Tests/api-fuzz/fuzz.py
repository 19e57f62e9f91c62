"""Fuzzes every operation of openapi.yaml with schemathesis, as each demo role and as nobody, against a
fresh `avrop serve --demo` (issue 18): no server error, no status code the document does not list, every
answer in the document's schema and content type. Exits non-zero on any failure."""
import json
import os
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from avrop_serve import serving  # noqa: E402

DEMO_PASSWORD = "demo-lösenord-för-fuzzning"
ROLES = [
    "ramavtal@demo.avrop.se", "upphandlare@demo.avrop.se", "avtalsforvaltare@demo.avrop.se",
    "leverantor@demo.avrop.se", "revisor@demo.avrop.se", "admin@demo.avrop.se",
]
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance"


def token(base, email):
    body = json.dumps({"email": email, "password": DEMO_PASSWORD, "name": "schemathesis"}).encode()
    request = urllib.request.Request(base + "/api/v1/tokens", data=body, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["token"]


def main():
    spec = os.path.join(os.path.dirname(__file__), "..", "..", "Sources", "AvropAPI", "openapi.yaml")
    failed = []
    with serving(DEMO_PASSWORD, "avrop-fuzz-") as base:
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
    if failed:
        print("schemathesis found failures as: " + ", ".join(failed))
        sys.exit(1)
    print("schemathesis: no failures as any caller")


if __name__ == "__main__":
    main()
