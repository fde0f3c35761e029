"""Run a command and print its CPU time and peak RSS as JSON: `python -m bench.rusage CMD…`.

Why a separate, small process: a child's ru_maxrss also counts the memory it inherited
at fork (Linux records the parent's high-water mark at exec), so a child started
directly from the benchmark, which holds large test pages, would report the
benchmark's size instead of its own.
"""

import json
import resource
import subprocess
import sys


def main() -> None:
    code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        json.dumps(
            {
                "returncode": code,
                "cpu_s": usage.ru_utime + usage.ru_stime,
                "max_rss_kib": usage.ru_maxrss,  # KiB on Linux
                # Voluntary context switches: a streamed read's wake-ups.
                "waits": usage.ru_nvcsw,
            }
        )
    )


if __name__ == "__main__":
    main()
