"""protocol/ imports only the standard library, msgpack and events/."""

import subprocess
import sys


def test_protocol_imports_no_io_packages():
    code = "import sys, protocol; bad = [m for m in ('aiohttp', 'eventsourcing', 'node') if m in sys.modules]; print(bad)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
