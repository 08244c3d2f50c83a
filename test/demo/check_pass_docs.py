"""Checks that the "Options" block of every docs/passes/<pass>.md equals what
`ajpq-opt --list-passes` prints for that pass (scripts/demo/pass-options.sh), and that every
non-testing ajpq pass has a page.

    python3 check_pass_docs.py AJPQ_OPT REPO_ROOT

Prints "PASS-DOC: <pass> ok" per page; exit 1 on the first mismatch (showing both texts).
"""
import os
import re
import subprocess
import sys

opt, root = sys.argv[1], sys.argv[2]
listing = subprocess.run([opt, "--list-passes"], stdout=subprocess.PIPE, text=True, check=True).stdout
passes = []
for line in listing.splitlines():
    if line.startswith("Upstream"):
        break
    m = re.match(r"  --([a-z0-9-]+) \[on ", line)
    if m and "test" not in m.group(1):
        passes.append(m.group(1))
for p in passes:
    page = os.path.join(root, "docs", "passes", p + ".md")
    if not os.path.exists(page):
        print("PASS-DOC: %s has no page %s" % (p, page))
        sys.exit(1)
    text = open(page).read()
    m = re.search(r"## Options\n.*?```\n(.*?)```", text, re.S)
    want = subprocess.run(["sh", os.path.join(root, "scripts", "demo", "pass-options.sh"), opt, p],
                          stdout=subprocess.PIPE, text=True, check=True).stdout
    if not m or m.group(1).strip("\n") != want.strip("\n"):
        print("PASS-DOC: %s: the Options block of %s differs from --list-passes:\n%s\n---\n%s"
              % (p, page, m.group(1) if m else "(no block)", want))
        sys.exit(1)
    print("PASS-DOC: %s ok" % p)
