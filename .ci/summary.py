"""Print CI's closing total from the pytest runs' JUnit XML files.

Exits non-zero if a run executed no test or any test failed, so a CI that tests nothing
cannot pass.
"""

import argparse
import re
import sys
import xml.etree.ElementTree as ElementTree


def counts(path: str) -> tuple[int, int, int]:
    """(passed, failed, skipped) of one pytest JUnit XML report."""
    root = ElementTree.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    tests = failed = skipped = 0
    for suite in suites:
        tests += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return tests - failed - skipped, failed, skipped


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("reports", nargs="+")
    parser.add_argument("--schemathesis", help="schemathesis's output, for its case count")
    args = parser.parse_args()
    total_passed = total_failed = total_skipped = 0
    for path in args.reports:
        passed, failed, skipped = counts(path)
        print(f"{path.rsplit('/', 1)[-1]}: {passed} passed, {failed} failed, {skipped} skipped")
        if passed == 0:
            print(f"{path}: no test passed", file=sys.stderr)
            total_failed += 1
        total_passed += passed
        total_failed += failed
        total_skipped += skipped
    if args.schemathesis:
        with open(args.schemathesis, encoding="utf-8") as output:
            match = re.search(r"(\d+) generated, (\d+) passed", output.read())
        if match is None:
            print("schemathesis: no case count found in its output", file=sys.stderr)
            total_failed += 1
        else:
            print(f"schemathesis: {match.group(2)} of {match.group(1)} generated cases passed")
    print(f"ci: {total_passed} passed, {total_failed} failed, {total_skipped} skipped")
    return 1 if total_failed else 0


if __name__ == "__main__":
    sys.exit(main())
