"""A real systemd, booted as PID 1 of a new PID + mount + cgroup namespace over a Debian
root made by debootstrap: what tests/system/test_systemd_boot.py installs the site into.

Why not a chroot: every sandboxing option of the units (ProtectSystem=, PrivateTmp=, …)
needs systemd itself to set up mount namespaces; under plain chroot they fail with
226/NAMESPACE. Why not a container runtime: none is installed, and the recipe below is
the same few syscalls (unshare, pivot_root) they make.

The debootstrapped root is cached as a tarball keyed on everything that shapes it
(suite, variant, packages, the preparation steps), so only the first run pays for
debootstrap (~1 min); every run unpacks a fresh copy (~2 s) and deletes it afterwards.

The booted system shares the host's network namespace (the test's chutes.ai stand-in and
PyPI are reachable from inside), so it must take no fixed port: the stock nginx site is
removed from the cached root and install.sh is told `--listen 127.0.0.1:<free port>`.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

SUITE = "bookworm"
VARIANT = "minbase"
MIRROR = os.environ.get("CHUTES_BOOT_MIRROR", "http://deb.debian.org/debian")
# What install.sh expects on a fresh VPS, plus the tools the test runs inside.
PACKAGES = (
    "systemd",
    "systemd-sysv",
    "dbus",
    "python3-venv",
    "nginx-light",
    "sqlite3",
    "curl",
    "ca-certificates",
)
# Bump when prepare_root() changes: it is part of the cache key.
PREPARE_VERSION = "1"
CACHE_DIR = Path(os.environ.get("CHUTES_BOOT_CACHE", "/var/cache/chutes-leaderboard-tests"))
# The booted system's PATH and locale; nothing else of the test's environment leaks in.
INSIDE_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "HOME": "/root",
    "SYSTEMD_PAGER": "",
    "SYSTEMD_COLORS": "0",
}

# Run by `unshare` as the future PID 1, still in the host's root: a private mount
# tree, the root bind-mounted onto itself (pivot_root needs a mount point), the API
# file systems systemd expects a container manager to provide, then pivot_root and
# exec systemd. /dev is a tmpfs with a handful of nodes, not the host's /dev: nothing
# inside may reach the host's disks or consoles. /sys is a fresh read-only sysfs, so
# the cgroup hierarchies systemd mounts under it are seen from the new cgroup namespace.
BOOT_SCRIPT = r"""
set -eu
R=$1
mount --make-rprivate /
mount --bind "$R" "$R"
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"
mount -t tmpfs -o mode=755,nosuid,size=4m dev "$R/dev"
for node in null zero full random urandom tty; do
    touch "$R/dev/$node"
    mount --bind "/dev/$node" "$R/dev/$node"
done
mkdir -p "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev shm "$R/dev/shm"
mount -t tmpfs -o mode=755,nosuid,nodev run "$R/run"
mount -t tmpfs -o mode=1777,nosuid,nodev tmp "$R/tmp"
cd "$R"
mkdir -p .host
pivot_root . .host
umount -l /.host
rmdir /.host
# Shared propagation, as a kernel-booted systemd makes it (it leaves that to the manager
# when it sees a container): LoadCredential= prepares a unit's credentials in a child
# mount namespace and moves them into /run/credentials/, which reaches PID 1's view only
# through propagation; under the private tree unshare copied, every unit got an empty
# $CREDENTIALS_DIRECTORY.
mount --make-rshared /
# If unshare dies (the test process died, see enter_cgroups), systemd gets SIGKILL and
# the kernel kills the whole namespace with it.
exec setpriv --pdeathsig KILL env -i container=other /lib/systemd/systemd
"""


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# The network namespace stays the host's: PyPI and the test's stand-in are reachable.
UNSHARE = ("unshare", "--pid", "--mount", "--cgroup", "--fork")


class BootError(RuntimeError):
    pass


# --- the cached root ---------------------------------------------------------------------


def cache_key() -> str:
    text = "\n".join([SUITE, VARIANT, MIRROR, *PACKAGES, PREPARE_VERSION])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def prepare_root(root: Path) -> None:
    """What a container image needs beyond debootstrap: nothing that takes a host port,
    a console or runs periodic maintenance during the test."""
    # nginx's stock site listens on port 80 of the (shared) host network.
    (root / "etc/nginx/sites-enabled/default").unlink(missing_ok=True)
    wants = root / "etc/systemd/system"
    for link in [*wants.glob("getty.target.wants/*"), *wants.glob("timers.target.wants/*")]:
        link.unlink()
    # No consoles to log in on: a getty would wait on the tty it does not have.
    for unit in ("getty.target", "console-getty.service", "systemd-firstboot.service"):
        mask = wants / unit
        mask.unlink(missing_ok=True)
        mask.symlink_to("/dev/null")
    (root / "etc/hostname").write_text("leaderboard-boot-test\n")
    # debootstrap leaves a machine-id to fill; an empty one makes systemd generate a
    # fresh (transient) one at boot instead of complaining.
    (root / "etc/machine-id").write_text("")


def root_tarball(log: Path) -> Path:
    """The cached tarball of a prepared debootstrap root, built on first use.

    A lock file serialises concurrent builders (two test runs); the tarball appears
    under its final name only once complete.
    """
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tarball = CACHE_DIR / f"debian-{SUITE}-{cache_key()}.tar"
    with open(CACHE_DIR / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if tarball.exists():
            return tarball
        build = CACHE_DIR / f"build-{os.getpid()}"
        shutil.rmtree(build, ignore_errors=True)
        try:
            with open(log, "a") as out:
                proc = subprocess.run(
                    [
                        "debootstrap",
                        f"--variant={VARIANT}",
                        f"--include={','.join(PACKAGES)}",
                        SUITE,
                        str(build),
                        MIRROR,
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    timeout=900,
                    check=False,
                )
            if proc.returncode != 0:
                raise BootError(f"debootstrap failed ({proc.returncode}); see {log}")
            prepare_root(build)
            partial = tarball.with_suffix(".partial")
            with tarfile.open(partial, "w") as tar:
                tar.add(build, arcname=".")
            partial.rename(tarball)
        finally:
            shutil.rmtree(build, ignore_errors=True)
        # Older keys are dead weight (hundreds of MB each).
        for old in CACHE_DIR.glob(f"debian-{SUITE}-*.tar"):
            if old != tarball:
                old.unlink()
        return tarball


def unpack(tarball: Path, dest: Path) -> None:
    dest.mkdir(parents=True)
    # tar(1) keeps owners, modes, device nodes and hard links exactly as debootstrap
    # made them (tarfile's extractall filters would refuse some).
    subprocess.run(["tar", "-C", str(dest), "-xpf", str(tarball)], check=True, timeout=300)


# --- cgroups -------------------------------------------------------------------------------


def cgroup_dirs(tag: str) -> list[Path]:
    """For every cgroup hierarchy mounted on the host, a new child of this process's
    cgroup there. The booted systemd starts inside them under a cgroup namespace, so it
    sees them as its root and everything it creates lands below them, never beside the
    host's own cgroups; they are removed after shutdown."""
    mine: dict[str, str] = {}  # controllers ("memory", "name=systemd", "" for v2) -> path
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        mine[controllers] = path
    dirs = []
    for line in Path("/proc/mounts").read_text().splitlines():
        _, mount_point, fstype, options, *_ = line.split()
        if fstype == "cgroup2" and "" in mine:
            path = mine[""]
        elif fstype == "cgroup":
            opts = set(options.split(","))
            path = next((p for c, p in mine.items() if c and set(c.split(",")) <= opts), None)
            if path is None:
                continue
        else:
            continue
        dirs.append(Path(mount_point) / path.lstrip("/") / tag)
    return dirs


def remove_cgroups(dirs: list[Path]) -> None:
    for top in dirs:
        if not top.is_dir():
            continue
        # Children first; a cgroup directory is removed with rmdir, never rm -r.
        for sub in sorted(top.rglob("*"), key=lambda p: len(p.parts), reverse=True):
            if sub.is_dir():
                with contextlib.suppress(OSError):
                    sub.rmdir()
        with contextlib.suppress(OSError):
            top.rmdir()


# --- the booted system ---------------------------------------------------------------------


class BootedSystem:
    """systemd running on `root`; run() executes a command inside (nsenter)."""

    def __init__(self, root: Path, log: Path) -> None:
        self.root = root
        self.log = log
        self.cgroups = cgroup_dirs(f"chutes-boot-{os.getpid()}-{time.monotonic_ns()}")
        self.proc: subprocess.Popen | None = None
        self.pid = 0  # systemd's PID as the host sees it

    def boot(self, timeout: float = 60) -> None:
        for d in self.cgroups:
            d.mkdir(exist_ok=True)
            # cgroup v1 cpuset: a new cpuset has no CPUs or memory nodes, and a process
            # cannot join it until it inherits its parent's.
            for knob in ("cpuset.cpus", "cpuset.mems"):
                if (d / knob).exists() and not (d / knob).read_text().strip():
                    (d / knob).write_text((d.parent / knob).read_text())
        cgroups = [str(d / "cgroup.procs") for d in self.cgroups]

        def enter_cgroups() -> None:  # in the child, before exec
            for procs in cgroups:
                Path(procs).write_text(str(os.getpid()))
            # If the test process dies, unshare dies with it, and (BOOT_SCRIPT) takes
            # the booted system along: nothing outlives a crashed test run.
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)

        with open(self.log, "a") as out:
            self.proc = subprocess.Popen(
                [*UNSHARE, "sh", "-c", BOOT_SCRIPT, "boot", str(self.root)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=enter_cgroups,
                env={"PATH": INSIDE_ENV["PATH"]},
            )
        deadline = time.monotonic() + timeout
        while not self.pid:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise BootError(f"systemd did not start; see {self.log}")
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
            with contextlib.suppress(OSError):
                pids = children.read_text().split()
                if pids and Path(f"/proc/{pids[0]}/comm").read_text().strip() == "systemd":
                    self.pid = int(pids[0])
            time.sleep(0.05)
        # systemctl needs PID 1's private bus socket, which appears a moment after exec.
        # (/proc/PID/root: the /run tmpfs exists only inside the mount namespace.)
        while not Path(f"/proc/{self.pid}/root/run/systemd/private").exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise BootError(f"systemd never opened its bus; see {self.log}")
            time.sleep(0.05)
        # "running", or "degraded" if some unit of the distribution failed: either way
        # the boot is over. The test checks its own units itself.
        state = self.run(
            ["systemctl", "is-system-running", "--wait"],
            check=False,
            timeout=max(1, deadline - time.monotonic()),
        )
        if state.stdout.strip() not in {"running", "degraded"}:
            raise BootError(f"boot ended {state.stdout.strip()!r}; see {self.log}")

    def run(
        self, cmd: list[str], *, check: bool = True, timeout: float = 120, **kwargs
    ) -> subprocess.CompletedProcess[str]:
        """`cmd` inside the booted system, as root, with a clean environment."""
        full = ["nsenter", "-t", str(self.pid), "-m", "-p", "--", "env", "-i"]
        full += [f"{k}={v}" for k, v in INSIDE_ENV.items()]
        proc = subprocess.run(
            full + cmd, capture_output=True, text=True, timeout=timeout, check=False, **kwargs
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"inside: {' '.join(cmd)} exited {proc.returncode}\n"
                f"--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-4000:]}"
            )
        return proc

    def shutdown(self, timeout: float = 30) -> None:
        """Power off cleanly; if systemd does not exit in time, SIGKILL the namespace's
        init (the kernel then kills every process in it). The mount namespace dies with
        its last process, taking every mount made inside along."""
        if self.proc is None:
            remove_cgroups(self.cgroups)
            return
        if self.proc.poll() is None and self.pid:
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                self.run(["systemctl", "--no-block", "poweroff"], check=False, timeout=10)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        elif self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        # Processes of the namespace can outlive `unshare` for a moment.
        deadline = time.monotonic() + 10
        while self.pid and Path(f"/proc/{self.pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        remove_cgroups(self.cgroups)


def host_mounts_under(path: Path) -> list[str]:
    """Mount points of the host's mount table at or below `path` (should be none)."""
    prefix = str(path)
    return [
        line.split()[1]
        for line in Path("/proc/mounts").read_text().splitlines()
        if line.split()[1] == prefix or line.split()[1].startswith(prefix + "/")
    ]


@contextlib.contextmanager
def booted(work: Path) -> Iterator[BootedSystem]:
    """A fresh root under `work`, booted; powered off and deleted afterwards."""
    log = work / "boot.log"
    root = work / "root"
    unpack(root_tarball(log), root)
    system = BootedSystem(root, log)
    try:
        system.boot()
        yield system
    finally:
        system.shutdown()
        leftover = host_mounts_under(root)
        if not leftover:
            shutil.rmtree(root, ignore_errors=True)
        assert not leftover, f"mounts left behind: {leftover}"
