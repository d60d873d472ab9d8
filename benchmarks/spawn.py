"""Run one command and record its wall time, peak memory and CPU time (user + system):
`spawn.py RESULT ARGV…`.

run.py starts every timed command through this small launcher (itself started
with `python -S`, so it stays a few MB) because Linux carries a process's peak
memory across fork and exec: a child forked straight from the benchmark runner,
which has crmcli and sqlite-utils imported, would report the runner's size as its
own. Timing happens here too, so the launcher's own start-up is not counted.
"""

import os
import sys
import time


def main() -> int:
    result, argv = sys.argv[1], sys.argv[2:]
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    with open(result, "w") as f:
        cpu = usage.ru_utime + usage.ru_stime
        f.write(f"{seconds} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)} {cpu}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
