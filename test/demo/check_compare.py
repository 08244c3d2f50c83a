"""Checks bench/compare's table against the files its numbers came from.

    python3 check_compare.py RESULTS.md WORK/<model> FP32_RUNNER.json PLOT.svg

Independent of bench/compare's formatting code: parses the markdown table, re-reads each row's
ajpq-opt --ajpq-cost-report JSON and ajpq-runner output (WORK/<tag>-cost.json,
WORK/<tag>-runner.stdout), compares the fp32 row with a separate ajpq-runner run, checks each
budgeted row's size ratio against its budget, and counts the plot's markers. Prints one
"CHECK: <what> ok" line per check; exit 1 on the first failure.
"""
import json
import os
import re
import sys


def check(what, cond, detail=""):
    if not cond:
        print("CHECK: %s FAILED %s" % (what, detail))
        sys.exit(1)
    print("CHECK: %s ok" % what)


results, work, fp32_runner, svg = sys.argv[1:5]
text = open(results).read()
section = text[text.index("<!-- bench/compare:begin -->"):text.index("<!-- bench/compare:end -->")]
rows = {}
for line in section.splitlines():
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) == 11 and not cells[0].startswith("policy") and not cells[0].startswith("---"):
        policy, budget = cells[0], cells[1]
        if policy == "fp32":
            tag = "fp32"
        elif budget == "—":
            tag = "uniform" + re.match(r"uniform (\d)-bit", policy).group(1)
        else:
            tag = "%s-%s" % (policy, budget)
        rows[tag] = cells
ref = json.load(open(fp32_runner))
fp32 = rows["fp32"]
check("fp32 row = independent runner", fp32[2] == "%.4f" % ref["value"], "%s vs %r" % (fp32[2], ref))
fp32_bytes = json.load(open(os.path.join(work, "fp32-cost.json")))["total"]["weight_bytes"]
plotted = 0
for tag, cells in rows.items():
    if tag == "fp32" or cells[2].startswith("**failed**"):
        continue
    cost = json.load(open(os.path.join(work, tag + "-cost.json")))["total"]
    run = json.loads(open(os.path.join(work, tag + "-runner.stdout")).read())
    check("%s numbers = its cost report and runner" % tag,
          cells[2] == "%.4f" % run["value"] and cells[4] == "{:,}".format(cost["weight_bytes"])
          and cells[6] == "{:,}".format(cost["macs"]) and cells[7] == "{:,}".format(cost["bitops"]),
          repr(cells))
    plotted += 1
    if cells[1] != "—":
        check("%s within budget %s" % (tag, cells[1]),
              cost["weight_bytes"] <= float(cells[1]) * fp32_bytes)
plot = open(svg).read()
markers = plot.count("<circle") + plot.count("<rect") - 6  # background, legend (1 square, 4 circles)
check("svg points", markers == plotted, "%d markers vs %d rows" % (markers, plotted))
