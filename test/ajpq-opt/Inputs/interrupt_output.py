"""Interrupts a tool while it is writing an output file and prints what is left behind.

    python3 interrupt_output.py [--ignore-int] OUT_DIR SIGNALS -- COMMAND...

Starts COMMAND (stdout/stderr to OUT_DIR.log) in its own process group with the default
SIGINT disposition a terminal gives (lit's workers ignore SIGINT and children inherit that;
the tools leave an ignored signal alone, as they must). Waits until a temporary output file
(`*.tmp*`) shows up in OUT_DIR — so the signal provably arrives while a half-written output
exists — waits one more second, sends SIGNAL (INT, TERM or HUP) to the group like Ctrl-C
does, and prints how the command ended and the files OUT_DIR holds afterwards (sorted).
SIGNALS may be a comma list (INT,TERM): each but the last is followed by one second and a
"still running after SIGx" line if the command survived it. --ignore-int starts the command
with SIGINT ignored instead (as nohup or `trap '' INT` would).
Exits 1 if the command ends first or no temporary file appears within 300 s.
"""
import os
import signal
import subprocess
import sys
import time

args = sys.argv[1:sys.argv.index("--")]
ignore_int = "--ignore-int" in args
args = [a for a in args if a != "--ignore-int"]
out, sigs = args[0], args[1].split(",")
cmd = sys.argv[sys.argv.index("--") + 1:]
with open(out + ".log", "w") as log:
    p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT,
                                                           signal.SIG_IGN if ignore_int
                                                           else signal.SIG_DFL))
    t0 = time.time()
    while p.poll() is None and not any(".tmp" in n for n in os.listdir(out)):
        if time.time() - t0 > 300:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            print("INTERRUPT: no temporary file appeared")
            sys.exit(1)
        time.sleep(0.05)
    if p.poll() is not None:
        print("INTERRUPT: the command ended (status %d) before the signal" % p.returncode)
        print(open(out + ".log").read())
        sys.exit(1)
    time.sleep(1.0)
    if p.poll() is not None:
        print("INTERRUPT: the command ended (status %d) before the signal" % p.returncode)
        sys.exit(1)
    for sig in sigs[:-1]:
        os.killpg(p.pid, getattr(signal, "SIG" + sig))
        time.sleep(1.0)
        if p.poll() is None:
            print("INTERRUPT: still running after SIG%s" % sig)
    os.killpg(p.pid, getattr(signal, "SIG" + sigs[-1]))
    rc = p.wait()
# Popen reports "killed by signal N" as -N.
print("INTERRUPT: killed by SIG%s" % signal.Signals(-rc).name[3:] if rc < 0
      else "INTERRUPT: exit status %d" % rc)
for name in sorted(os.listdir(out)):
    print("FILE: %s" % name)
print("INTERRUPT: done")
