#!/usr/bin/env python3
"""Count test results from meson's testlog.json files.

    count-tests.py [--verbose] LOG [LOG...]

Each LOG is a meson-logs/testlog.json (one JSON object per line, with `name`,
`result` and `stdout`), or a build folder that has one. Several logs are
summed. The last line printed is

    N passed, N failed[, N skipped]

Counting: every GTest TAP line `ok N ...` is one passed subtest (skipped if it
carries `# SKIP`); every `not ok N ...` is one failed subtest (a `# TODO` one,
from g_test_incomplete(), is an expected failure and counts as skipped, as meson
does not fail on it). A test program that ended badly (crash, timeout, failed
assertion: GLib prints "Bail out!" rather than "not ok") without reporting a
`not ok` line counts one more failure. A program with no TAP lines at all counts
as one test, by its result. A LOG that does not exist counts as one failure: the
build failed or the tests never ran.

--verbose prints a line per test program (and the failed subtests) first.
--failures prints, first, only the programs that failed: their failed subtests
and the last lines of their output (a CI log's tail then says what failed).
"""

import argparse
import json
import os
import re
import sys

GOOD_RESULTS = {'OK', 'EXPECTEDFAIL', 'SKIP'}

OK_RE = re.compile(r'^ok\b(?:\s+\d+)?\s*(?P<rest>.*)$')
NOT_OK_RE = re.compile(r'^not ok\b(?:\s+\d+)?\s*(?P<rest>.*)$')
DIRECTIVE_RE = re.compile(r'(?<!\\)#\s*(?P<kind>SKIP|TODO)\b', re.IGNORECASE)


class Counts:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def add(self, other):
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped

    def summary(self):
        line = f'{self.passed} passed, {self.failed} failed'
        if self.skipped:
            line += f', {self.skipped} skipped'
        return line


def directive(rest):
    """Returns 'SKIP', 'TODO' or None for the part of a TAP line after `ok N`."""
    m = DIRECTIVE_RE.search(rest)
    return m.group('kind').upper() if m else None


def count_test(entry):
    """Returns (Counts, [failed subtest descriptions]) for one testlog entry."""
    counts = Counts()
    failures = []
    tap_lines = 0
    not_ok_lines = 0
    for line in (entry.get('stdout') or '').splitlines():
        line = line.rstrip('\r')
        m = OK_RE.match(line)
        if m:
            tap_lines += 1
            kind = directive(m.group('rest'))
            if kind == 'SKIP':
                counts.skipped += 1
            else:
                counts.passed += 1
            continue
        m = NOT_OK_RE.match(line)
        if m:
            tap_lines += 1
            kind = directive(m.group('rest'))
            if kind in ('TODO', 'SKIP'):
                counts.skipped += 1
            else:
                not_ok_lines += 1
                counts.failed += 1
                failures.append(m.group('rest').strip())

    result = entry.get('result', 'ERROR')
    if tap_lines == 0:
        if result == 'SKIP':
            counts.skipped += 1
        elif result in GOOD_RESULTS:
            counts.passed += 1
        else:
            counts.failed += 1
            failures.append(f'(exited: {result})')
    elif result not in GOOD_RESULTS and not_ok_lines == 0:
        counts.failed += 1
        failures.append(f'(ended early: {result}, exit status {entry.get("returncode")})')
    return counts, failures


def log_path(arg):
    if os.path.isdir(arg):
        return os.path.join(arg, 'meson-logs', 'testlog.json')
    return arg


TAIL_LINES = 25


def print_failure(path, entry, failures, out):
    print(f'FAILED {path}: {entry.get("name", "?")} ({entry.get("result", "?")}, '
          f'{entry.get("duration", 0):.0f} s)', file=out)
    for failure in failures:
        print(f'    failed: {failure}', file=out)
    output = (entry.get('stdout') or '').splitlines() + (entry.get('stderr') or '').splitlines()
    for line in output[-TAIL_LINES:]:
        print(f'    | {line}', file=out)


def count_log(path, verbose, out, failures_only=False):
    total = Counts()
    if not os.path.exists(path):
        total.failed += 1
        if verbose or failures_only:
            print(f'{path}: missing (build failed or tests did not run): 1 failed', file=out)
        return total
    with open(path, encoding='utf-8', errors='replace') as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as e:
                print(f'{path}:{lineno}: not JSON ({e}); counted as 1 failed', file=sys.stderr)
                total.failed += 1
                continue
            counts, failures = count_test(entry)
            total.add(counts)
            if failures_only:
                if counts.failed:
                    print_failure(path, entry, failures, out)
            elif verbose:
                print(f'{entry.get("name", "?")}: {entry.get("result", "?")}: {counts.summary()}',
                      file=out)
                for failure in failures:
                    print(f'    failed: {failure}', file=out)
    return total


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Count GTest TAP results in meson testlog.json files.')
    parser.add_argument('logs', nargs='+', metavar='LOG',
                        help='testlog.json file, or a build folder')
    parser.add_argument('-v', '--verbose', action='store_true',
                        help='print a breakdown per test program first')
    parser.add_argument('--failures', action='store_true',
                        help='print the failed test programs and their last output lines first')
    args = parser.parse_args(argv)

    total = Counts()
    for arg in args.logs:
        path = log_path(arg)
        if args.verbose and not args.failures and len(args.logs) > 1:
            print(f'== {path}')
        total.add(count_log(path, args.verbose, sys.stdout, args.failures))
    print(total.summary())
    return 0


if __name__ == '__main__':
    sys.exit(main())
