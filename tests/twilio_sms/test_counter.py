"""The SMS counter: the server's segment_count and the page's static/js/sms_counter.js give
the same answer for every case (run with the node binary the virtualenv carries)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from twilio_sms.segments import segment_count, segment_line

from .conftest import counter_cases

SCRIPT = Path(__file__).resolve().parents[2] / "static" / "js" / "sms_counter.js"
CASES = counter_cases()


def node() -> str:
    found = Path(sys.executable).parent / "node"
    return str(found) if found.exists() else (shutil.which("node") or "")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_the_server_counts_segments(case):
    count = segment_count(case["text"])
    assert (count.encoding, count.units, count.segments) == (
        case["encoding"],
        case["units"],
        case["segments"],
    )
    assert list(count.ucs2_characters) == case["ucs2"]


def test_the_page_counts_every_case_as_the_server_does():
    if not node():
        pytest.skip("no node binary")
    program = (
        f"const c = require({json.dumps(str(SCRIPT))});"
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(cases.map(t => {"
        " const r = c.segmentCount(t); return [r.encoding, r.units, r.segments,"
        " r.ucs2Characters, c.describe(r)]; })));"
    )
    texts = [case["text"] for case in CASES]
    result = subprocess.run(
        [node(), "-e", program], input=json.dumps(texts), capture_output=True, text=True, check=True
    )
    page = json.loads(result.stdout)
    for case, answer in zip(CASES, page, strict=True):
        count = segment_count(case["text"])
        assert answer == [
            count.encoding,
            count.units,
            count.segments,
            list(count.ucs2_characters),
            segment_line(count),
        ], case["name"]


def test_the_counter_line_names_what_forced_ucs2():
    assert segment_line(segment_count("a" * 160)) == "160 / 160 characters · 1 SMS"
    assert segment_line(segment_count("a" * 161)) == "161 characters · 2 SMS (153 per part)"
    assert segment_line(segment_count("Thanks 😀")) == (
        "9 / 70 characters · 1 SMS · Unicode (UCS-2) because of: 😀"
    )
