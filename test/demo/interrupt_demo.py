"""Interrupts scripts/demo.sh the way Ctrl-C does and checks what it leaves behind.

    python3 interrupt_demo.py OUT_DIR MARKER SIGNAL -- COMMAND...

Starts COMMAND in a new process group (stdout and stderr to OUT_DIR.log), waits until MARKER
appears in its output, waits one more second, then sends SIGNAL (INT or TERM) to the whole group
— as a terminal does on Ctrl-C, the running tool gets it too. Prints the exit status and the
files OUT_DIR holds afterwards (sorted), one per line, so a FileCheck test can check that no
incomplete file (FILE.part, a tool's FILE.tmpXXXXXX, a 0-byte output) is left.
Times out (exit 1) if MARKER never shows up within 600 s.
"""
import os
import signal
import subprocess
import sys
import time

out, marker, sig = sys.argv[1], sys.argv[2], sys.argv[3]
cmd = sys.argv[sys.argv.index("--") + 1:]
log = out + ".log"
with open(log, "w") as f:
    # lit's workers ignore SIGINT and children inherit that; a shell started with SIGINT ignored
    # may not trap it (POSIX), so give the command the default disposition a terminal has.
    p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, start_new_session=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    t0 = time.time()
    while p.poll() is None and marker not in open(log).read():
        if time.time() - t0 > 600:
            os.killpg(p.pid, signal.SIGKILL)
            print("INTERRUPT: marker %r never appeared" % marker)
            sys.exit(1)
        time.sleep(0.2)
    if p.poll() is not None:
        print("INTERRUPT: the command ended (status %d) before the signal" % p.returncode)
        sys.exit(1)
    time.sleep(1.0)
    os.killpg(p.pid, getattr(signal, "SIG" + sig))
    rc = p.wait()
print("INTERRUPT: status %d" % rc)
for name in sorted(os.listdir(out)):
    path = os.path.join(out, name)
    size = os.path.getsize(path) if os.path.isfile(path) else -1
    print("FILE: %s%s" % (name, " (empty)" if size == 0 else ""))
print("INTERRUPT: done")
