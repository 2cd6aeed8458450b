"""Process meter for `npm run bench`: runs one command per request and reports its wall time and,
from wait4(2), its own peak RSS and CPU time. Node cannot read a child's rusage, and timing in a
separate small process keeps the bench runner's event loop out of the measurement.

Protocol: one JSON request per line on stdin, one JSON reply per line on stdout.
  request: {"argv": [...], "env": {...}, "cwd": "...", "stdout": "/path/or/null",
            "interrupt_after": seconds or null, "timeout": seconds}
  reply:   {"wall": s, "maxrss_kb": n, "utime": s, "stime": s, "code": n, "timed_out": bool}
With interrupt_after, the command gets SIGINT after that many seconds (a watch loop being ended
by Ctrl-C) and is measured until it exits.
"""

import json
import os
import signal
import sys
import threading
import time


def run(req):
    out_path = req.get("stdout") or os.devnull
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.chdir(req.get("cwd") or os.getcwd())
            out = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            err = os.open(out_path + ".err" if req.get("stdout") else os.devnull, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            null_in = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null_in, 0)
            os.dup2(out, 1)
            os.dup2(err, 2)
            os.execvpe(req["argv"][0], req["argv"], req["env"])
        finally:
            os._exit(127)
    timers = []
    state = {"timed_out": False}

    def kill():
        state["timed_out"] = True
        os.kill(pid, signal.SIGKILL)

    # Timers, not polling: the meter must not compete for CPU with what it measures.
    if req.get("interrupt_after") is not None:
        timers.append(threading.Timer(float(req["interrupt_after"]), lambda: os.kill(pid, signal.SIGINT)))
    timers.append(threading.Timer(float(req.get("timeout") or 120), kill))
    for timer in timers:
        timer.start()
    _, status, usage = os.wait4(pid, 0)
    for timer in timers:
        timer.cancel()
    wall = time.perf_counter() - started
    return {
        "wall": wall,
        "maxrss_kb": usage.ru_maxrss,
        "utime": usage.ru_utime,
        "stime": usage.ru_stime,
        "code": os.waitstatus_to_exitcode(status),
        "timed_out": state["timed_out"],
    }


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        reply = run(json.loads(line))
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
