#!/usr/bin/env bash
# Install or upgrade Chutes TPS Leaderboard on a Debian/Ubuntu VPS, as root:
#
#   deploy/install.sh --server-name leaderboard.example.com
#
# Idempotent: re-running it from a newer checkout upgrades (code, venv, units, nginx
# site), keeps /etc/chutes-leaderboard/leaderboard.env and the database, and reloads
# what changed. Upgrades are atomic: each version of the code is a complete directory
# under PREFIX.releases/ with its virtualenv already installed, and PREFIX is a symlink
# switched to it in one rename; the previous release is kept for a rollback:
#   ln -sfn chutes-leaderboard.releases/<previous> /opt/x && mv -T /opt/x /opt/chutes-leaderboard Choices made on the first run (server name, prefix, user)
# are remembered in /etc/chutes-leaderboard/install.conf.
#
#   --dry-run      print every step, change nothing
#   --root DIR     stage into DIR (like DESTDIR=DIR): files are written under DIR with
#                  final paths inside them; nothing system-wide runs (no apt, useradd,
#                  chown, systemctl, nginx reload). Used by tests/test_deploy.py.
#   --no-venv      don't create/update the virtualenv (tests; offline staging)
#   --prefix DIR   where the code and its venv live   [/opt/chutes-leaderboard]
#   --server-name "NAMES"  nginx server_name           [remembered, else the hostname]
#   --user NAME    the services' system user           [chutes-leaderboard]
#   --listen [HOST:]PORT  nginx's HTTP address          [80: every address]
#   --probe-key FILE  switch own probes on: FILE (a chutes.ai API key) is copied to
#                  /etc/chutes-leaderboard/probe.key (root, 0600) and the probe service
#                  and timer are installed; the key reaches only that service
#                  (LoadCredential=). Later runs keep probes on while that file exists.
#                  HOST:PORT (127.0.0.1:8080, [::1]:8080) listens there only
set -euo pipefail
shopt -s lastpipe

NAME=chutes-leaderboard
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CONF_DIR=/etc/$NAME
SOCKET=/run/$NAME/gunicorn.sock
CACHE_DIR=/var/cache/nginx/$NAME
SNIPPET=/etc/nginx/snippets/$NAME-security-headers.conf
NGINX_GROUP=www-data
# What a deployment needs from the checkout (not tests/, .git, .venv, instance/).
CODE=(app static templates deploy schema.sql scrape.py probe.py requirements.txt requirements.lock
    pyproject.toml)
# Every package with its hash (pip-compile --generate-hashes): nothing unverified is
# installed. The venv's own pip does it (upgrading pip first was an unpinned download).
LOCK=requirements.lock
# Releases kept: the live one and the one before it (for a rollback).
KEEP_RELEASES=2
UNITS=("$NAME.socket" "$NAME.service" "$NAME-scrape.service" "$NAME-scrape.timer"
    "$NAME-backup.service" "$NAME-backup.timer")
# Daily database backups (deploy/backup.sh), owned by the service user.
BACKUP_DIR=/var/backups/$NAME
# Litestream (chutes-leaderboard-litestream.service): its configuration, written once,
# and the default replica directory (the unit's StateDirectory=, made by systemd).
UNITS+=("$NAME-litestream.service")
LITESTREAM_CONF=$CONF_DIR/litestream.yml
REPLICA_DIR=/var/lib/$NAME-replica

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }
die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "==> $*"; }

dry_run=0 with_venv=1 root=${DESTDIR:-}
opt_prefix="" opt_server_name="" opt_user="" opt_listen="" opt_probe_key=""
while (($#)); do
    case $1 in
        --dry-run) dry_run=1 ;;
        --no-venv) with_venv=0 ;;
        --root) root=${2:?--root needs a directory}; shift ;;
        --prefix) opt_prefix=${2:?--prefix needs a directory}; shift ;;
        --server-name) opt_server_name=${2:?--server-name needs names}; shift ;;
        --user) opt_user=${2:?--user needs a name}; shift ;;
        --listen) opt_listen=${2:?--listen needs [HOST:]PORT}; shift ;;
        --probe-key) opt_probe_key=${2:?--probe-key needs a file}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
    shift
done

# valid_server_names "NAMES": a space-separated list of host names, each of RFC 1123
# labels (letters, digits, inner hyphens; 1-63 characters; 253 in all). It goes into
# nginx's config verbatim, so anything else (";", braces, newlines) is refused.
valid_server_names() {
    local name label labels
    [[ -n ${1// /} ]] || return 1
    for name in $1; do
        ((${#name} <= 253)) || return 1
        IFS=. read -r -a labels <<<"${name%.}"
        ((${#labels[@]})) || return 1
        [[ ${name%.} != *..* && $name != .* ]] || return 1
        for label in "${labels[@]}"; do
            [[ $label =~ ^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$ ]] || return 1
        done
    done
    [[ $1 =~ ^[A-Za-z0-9.\ -]+$ ]]
}
if [[ -n $opt_server_name ]] && ! valid_server_names "$opt_server_name"; then
    die "--server-name must be host names separated by spaces (RFC 1123): '$opt_server_name'"
fi

# Staging root: "" means the live system.
if [[ -n $root && $root != / ]]; then
    [[ $dry_run == 1 ]] || mkdir -p -- "$root" || die "cannot create $root"
    root=$(cd "$root" 2>/dev/null && pwd || echo "$root")
else
    root=""
fi
live=$([[ -z $root && $dry_run == 0 ]] && echo 1 || echo 0)

# Defaults < what the last run remembered < this run's options.
PREFIX=/opt/$NAME SERVICE_USER=$NAME LISTEN=80 SERVER_NAME=""
if [[ -r $root$CONF_DIR/install.conf ]]; then
    # shellcheck source=/dev/null
    . "$root$CONF_DIR/install.conf"
fi
PREFIX=${opt_prefix:-$PREFIX}
SERVICE_USER=${opt_user:-$SERVICE_USER}
LISTEN=${opt_listen:-$LISTEN}
SERVER_NAME=${opt_server_name:-${SERVER_NAME:-$(hostname -f 2>/dev/null || hostname)}}
valid_server_names "$SERVER_NAME" \
    || die "server name '$SERVER_NAME' is not a host name: pass --server-name NAME"
[[ $PREFIX == /* ]] || die "--prefix must be absolute: $PREFIX"
[[ $PREFIX != */ && $PREFIX != / ]] || die "--prefix must not end with /: $PREFIX"
# A bare port listens on every IPv4 and IPv6 address; HOST:PORT on that address only
# (a second site on the machine, or a test that must not take port 80).
[[ $LISTEN =~ ^(([0-9.]+|\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):)?[0-9]{1,5}$ ]] \
    || die "--listen must be PORT or HOST:PORT: $LISTEN"
if [[ $LISTEN =~ ^[0-9]+$ ]]; then
    listen6_sed="s|@LISTEN6@|[::]:$LISTEN|g"
else
    listen6_sed="/@LISTEN6@/d" # the one address given: no IPv6 twin
fi

# --- helpers -------------------------------------------------------------------------

# A system-wide action: runs only on the live system, printed otherwise.
sys() {
    if [[ $live == 1 ]]; then
        "$@"
    else
        echo "+ $*"
    fi
}

# A file-system action under the (staging) root: printed on --dry-run.
fs() {
    if [[ $dry_run == 1 ]]; then
        echo "+ $*"
    else
        "$@"
    fi
}

changed=()
# put MODE DEST: write stdin to $root/DEST if the content or mode differs.
put() {
    local mode=$1 dest=$root$2 tmp
    tmp=$(mktemp)
    cat >"$tmp"
    if [[ -f $dest ]] && cmp -s "$tmp" "$dest" && [[ $(stat -c %a "$dest") == "${mode#0}" ]]; then
        rm -f "$tmp"
        return
    fi
    changed+=("$2")
    if [[ $dry_run == 1 ]]; then
        echo "+ write $dest (mode $mode)"
        rm -f "$tmp"
    else
        mkdir -p "$(dirname "$dest")"
        chmod "$mode" "$tmp"
        mv -f "$tmp" "$dest"
        echo "    wrote $dest"
    fi
}

# put_rendered MODE SRC DEST: render first, so a bad template never half-writes DEST.
put_rendered() {
    local content
    content=$(render "$2")
    put "$1" "$3" <<<"$content"
}

sed_escape() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }

# render FILE: the file with every @PLACEHOLDER@ filled in; fails on a leftover one.
render() {
    local out
    out=$(sed -e "s|@PREFIX@|$(sed_escape "$PREFIX")|g" \
        -e "s|@USER@|$(sed_escape "$SERVICE_USER")|g" \
        -e "s|@NGINX_GROUP@|$NGINX_GROUP|g" \
        -e "s|@CONF_DIR@|$CONF_DIR|g" \
        -e "s|@SOCKET@|$SOCKET|g" \
        -e "s|@CACHE_DIR@|$CACHE_DIR|g" \
        -e "s|@SNIPPET@|$SNIPPET|g" \
        -e "s|@SERVER_NAME@|$(sed_escape "$SERVER_NAME")|g" \
        -e "$listen6_sed" \
        -e "s|@BACKUP_DIR@|$BACKUP_DIR|g" \
        -e "s|@LISTEN@|$LISTEN|g" \
        -e "s|@REPLICA_DIR@|$REPLICA_DIR|g" \
        -e "s|@DATABASE@|$(sed_escape "$DATABASE")|g" \
        "$1")
    # The HTTPS help text mentions @PLACEHOLDERS@ in comments only; anything else left
    # over means a placeholder this script does not know.
    if grep -v '^\s*#' <<<"$out" | grep -q '@[A-Z_0-9]*@'; then
        die "unrendered placeholder in $1"
    fi
    printf '%s\n' "$out"
}

# --- 1. prerequisites (live only) ----------------------------------------------------

if [[ $live == 1 ]]; then
    [[ $(id -u) == 0 ]] || die "run as root (or use --dry-run / --root DIR)"
    command -v systemctl >/dev/null || die "systemd is required"
fi
say "installing $SRC into $root$PREFIX (server_name: $SERVER_NAME)"
[[ $live == 1 ]] || echo "    (${root:+staging root $root}${root:+, }$([[ $dry_run == 1 ]] && echo "dry run: nothing is changed" || echo "no system-wide changes"))"

missing=()
python3 -c 'import ensurepip, sys; assert sys.version_info >= (3, 11)' 2>/dev/null \
    || missing+=(python3 python3-venv)
command -v nginx >/dev/null || missing+=(nginx)
command -v sqlite3 >/dev/null || missing+=(sqlite3) # for backups (README)
if ((${#missing[@]})); then
    say "installing system packages: ${missing[*]}"
    sys apt-get update -qq
    sys env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [[ $live == 1 ]]; then
    python3 -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null \
        || die "Python >= 3.11 is required ($(python3 -V 2>&1))"
fi

# --- 2. the system user ----------------------------------------------------------------

# No home, no shell: it only runs the two services (and `sudo -u` for maintenance).
if ! getent passwd "$SERVICE_USER" >/dev/null; then
    say "creating system user $SERVICE_USER"
    sys useradd --system --user-group --no-create-home \
        --home-dir "/var/lib/$NAME" --shell /usr/sbin/nologin \
        --comment "Chutes TPS Leaderboard" "$SERVICE_USER"
fi

# --- 3. the code: a new release, root-owned and read-only to the services ------------

RELEASES=$PREFIX.releases
live_link=$root$PREFIX
current=""
if [[ -L $live_link ]]; then
    current=$(readlink "$live_link")
    current=${current##*/}
fi

# same_code DIR: does DIR hold exactly the checkout's CODE (bytecode caches aside)?
same_code() {
    local item
    for item in "${CODE[@]}"; do
        [[ -e $SRC/$item ]] || continue
        diff -r -q -x __pycache__ "$SRC/$item" "$1/$item" >/dev/null 2>&1 || return 1
    done
}

if [[ -n $current && -d $root$RELEASES/$current ]] && same_code "$root$RELEASES/$current"; then
    release=$current
    say "code unchanged (release $release)"
else
    # Built under a temporary name, renamed when complete: a crash mid-copy leaves a
    # .tmp directory (removed next time), never a half release that could go live.
    # Named by time (sorts oldest first) and content (says which checkout it was).
    digest=$(cd "$SRC" && find "${CODE[@]}" -type f ! -path '*/__pycache__/*' -print0 2>/dev/null \
        | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-8)
    release=$(date -u +%Y%m%dT%H%M%SZ)-$digest
    n=1
    while [[ -e $root$RELEASES/$release ]]; do release=${release%.*}.$((n++)); done
    building=$root$RELEASES/.$release.tmp
    say "code -> $root$RELEASES/$release"
    fs mkdir -p "$root$RELEASES"
    fs rm -rf "$building"
    fs mkdir -p "$building"
    for item in "${CODE[@]}"; do
        if [[ ! -e $SRC/$item ]]; then
            echo "    warning: $item is missing from the checkout, skipped" >&2
            continue
        fi
        fs cp -R "$SRC/$item" "$building/$item"
    done
    fs find "$building" -name __pycache__ -prune -exec rm -rf {} +
    fs chmod -R u=rwX,go=rX "$building"
    fs mv -T "$building" "$root$RELEASES/$release"
fi

# --- 4. the virtualenv of the release, complete before the release goes live ----------

# One venv per lock file (by hash), shared by the releases that use it: an upgrade that
# changes no dependency installs nothing. Built in place (a venv's scripts name their own
# path) and marked complete last; an incomplete one is rebuilt.
deps_changed=0
if [[ $with_venv == 1 ]]; then
    lock_hash=$(sha256sum "$SRC/$LOCK" | cut -c1-12)
    venv_name=venv-$lock_hash
    venv=$root$RELEASES/$venv_name
    if [[ ! -e $venv/.complete ]]; then
        say "installing $LOCK into $venv"
        fs rm -rf "$venv"
        fs python3 -m venv "$venv"
        fs "$venv/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir \
            --require-hashes -r "$SRC/$LOCK"
        fs touch "$venv/.complete"
    fi
    if [[ $(readlink "$root$RELEASES/$release/.venv" 2>/dev/null) != "../$venv_name" ]]; then
        fs ln -sfn "../$venv_name" "$root$RELEASES/$release/.venv"
    fi
    if [[ -n $current && $(readlink "$root$RELEASES/$current/.venv" 2>/dev/null) != "../$venv_name" ]]; then
        deps_changed=1
    fi
    # The services cannot write under $PREFIX (ProtectSystem=strict): byte-compile now.
    fs "$venv/bin/python" -m compileall -q "$root$RELEASES/$release/app" \
        "$root$RELEASES/$release/scrape.py" "$root$RELEASES/$release/probe.py" || true
fi

# --- the switch: one rename --------------------------------------------------------------

target=${RELEASES##*/}/$release # relative, so a staging root works as the live one does
if [[ $(readlink "$live_link" 2>/dev/null) != "$target" ]]; then
    changed+=("$PREFIX")
    say "switching $PREFIX -> $target"
    if [[ -d $live_link && ! -L $live_link ]]; then
        # First upgrade from the layout without releases: the old tree steps aside (the
        # one moment with no code at $PREFIX is between these two renames).
        fs mv -T "$live_link" "$root$RELEASES/$(date -u +%Y%m%dT%H%M%SZ)-pre-releases"
    fi
    fs ln -sfn "$target" "$live_link.new"
    fs mv -T "$live_link.new" "$live_link"
fi

# Old releases go, the live one and its predecessor stay; so do the venvs they use.
if [[ $dry_run == 0 && -d $root$RELEASES ]]; then
    mapfile -t old < <(find "$root$RELEASES" -mindepth 1 -maxdepth 1 -type d \
        ! -name 'venv-*' ! -name '.*' -printf '%f\n' | sort | grep -vxF "$release" | head -n -$((KEEP_RELEASES - 1)))
    for stale in "${old[@]}"; do
        rm -rf "${root:?}$RELEASES/$stale"
    done
    for stale in "$root$RELEASES"/.*.tmp; do
        [[ -e $stale ]] && rm -rf "$stale"
    done
    declare -A used=()
    for link in "$root$RELEASES"/*/.venv; do
        [[ -L $link ]] && used[$(readlink "$link")]=1
    done
    for venv_dir in "$root$RELEASES"/venv-*; do
        [[ -d $venv_dir && -z ${used[../${venv_dir##*/}]:-} ]] && rm -rf "$venv_dir"
    done
fi
sys chown -R root:root "$RELEASES"
sys chown -h root:root "$PREFIX"

# --- 5. configuration: installed once, never overwritten ------------------------------

first_install=0
fs mkdir -p "$root$CONF_DIR"
sys chgrp "$SERVICE_USER" "$CONF_DIR"
fs chmod 0750 "$root$CONF_DIR"
if [[ ! -e $root$CONF_DIR/leaderboard.env ]]; then
    first_install=1
    say "new $CONF_DIR/leaderboard.env (edit it, then restart)"
    put 0640 "$CONF_DIR/leaderboard.env" <"$SRC/deploy/leaderboard.env.example"
    sys chgrp "$SERVICE_USER" "$CONF_DIR/leaderboard.env"
fi
remembered=$(
    echo "# Remembered by deploy/install.sh for the next run; edit or pass options."
    printf 'PREFIX=%q\nSERVER_NAME=%q\nSERVICE_USER=%q\nLISTEN=%q\n' \
        "$PREFIX" "$SERVER_NAME" "$SERVICE_USER" "$LISTEN"
)
put 0644 "$CONF_DIR/install.conf" <<<"$remembered"
DATABASE=$(sed -n 's/^LEADERBOARD_DATABASE=//p' "$root$CONF_DIR/leaderboard.env" 2>/dev/null | tail -1 || true)
DATABASE=${DATABASE:-/var/lib/$NAME/leaderboard.sqlite3}
# Litestream's configuration names the database leaderboard.env names; written only if
# absent (an operator's S3/SFTP replica and its keys stay), 0640 like leaderboard.env.
if [[ ! -e $root$LITESTREAM_CONF ]]; then
    say "new $LITESTREAM_CONF (replica: $REPLICA_DIR; S3/SFTP: see deploy/README.md)"
    put_rendered 0640 "$SRC/deploy/litestream.yml" "$LITESTREAM_CONF"
    sys chgrp "$SERVICE_USER" "$LITESTREAM_CONF"
fi

# --- 5b. the probe key (own probes, optional) -------------------------------------------
if [[ -n $opt_probe_key ]]; then
    [[ -r $opt_probe_key && -s $opt_probe_key ]] || die "--probe-key: cannot read $opt_probe_key"
    say "probe key -> $CONF_DIR/probe.key (root, 0600)"
    # Copied by content through stdin: the key never appears in argv or this output.
    put 0600 "$CONF_DIR/probe.key" <"$opt_probe_key"
fi
if [[ -n $opt_probe_key || -e $root$CONF_DIR/probe.key ]]; then
    UNITS+=("$NAME-probe.service" "$NAME-probe.timer")
fi

# --- 6. systemd units ------------------------------------------------------------------

say "systemd units -> $root/etc/systemd/system"
for unit in "${UNITS[@]}"; do
    put_rendered 0644 "$SRC/deploy/systemd/$unit" "/etc/systemd/system/$unit"
done

# --- 7. nginx site ---------------------------------------------------------------------

say "nginx site -> $root/etc/nginx/sites-available/$NAME.conf"
put_rendered 0644 "$SRC/deploy/nginx/security-headers.conf" "$SNIPPET"
put_rendered 0644 "$SRC/deploy/nginx/$NAME.conf" "/etc/nginx/sites-available/$NAME.conf"
link=$root/etc/nginx/sites-enabled/$NAME.conf
if [[ $(readlink "$link" 2>/dev/null) != "/etc/nginx/sites-available/$NAME.conf" ]]; then
    fs mkdir -p "$root/etc/nginx/sites-enabled"
    fs ln -sfn "/etc/nginx/sites-available/$NAME.conf" "$link"
fi
# Debian's stock site also claims `default_server` on port 80; two can't.
if [[ -L $root/etc/nginx/sites-enabled/default ]]; then
    say "disabling nginx's stock default site (ours drops unknown hosts)"
    fs rm -f "$root/etc/nginx/sites-enabled/default"
fi
fs mkdir -p "$root$CACHE_DIR"
sys chown "$NGINX_GROUP:" "$CACHE_DIR"
fs chmod 0700 "$root$CACHE_DIR"

# --- 7b. backups ------------------------------------------------------------------------

# Written by chutes-leaderboard-backup.service as the service user (ReadWritePaths=);
# nobody else may read the copies of the database.
fs mkdir -p "$root$BACKUP_DIR"
sys chown "$SERVICE_USER:$SERVICE_USER" "$BACKUP_DIR"
fs chmod 0700 "$root$BACKUP_DIR"

# --- 8. database, services, nginx (live only) -----------------------------------------

say "database schema (as $SERVICE_USER, in the services' StateDirectory)"
# A transient unit with the services' user, environment file and StateDirectory=,
# so the database gets exactly the owner and mode the services will expect.
sys systemd-run --quiet --wait --pipe --collect \
    -p User="$SERVICE_USER" -p Group="$SERVICE_USER" -p UMask=0077 \
    -p EnvironmentFile="$CONF_DIR/leaderboard.env" -p WorkingDirectory="$PREFIX" \
    -p StateDirectory="$NAME" -p StateDirectoryMode=0750 \
    "$PREFIX/.venv/bin/flask" --app app init-db

say "services"
sys systemctl daemon-reload
unit_changed() { [[ " ${changed[*]} " == *" /etc/systemd/system/$1 "* ]]; }
if unit_changed "$NAME.socket" && [[ $live == 1 ]] && systemctl -q is-active "$NAME.socket"; then
    # A new socket path/mode only applies to a fresh socket; the service holds it.
    sys systemctl stop "$NAME.service" "$NAME.socket"
fi
sys systemctl enable --now "$NAME.socket" "$NAME-scrape.timer" "$NAME-backup.timer"
sys systemctl enable "$NAME.service"
if [[ -n $opt_probe_key || -e $root$CONF_DIR/probe.key ]]; then
    sys systemctl enable --now "$NAME-probe.timer"
fi
if [[ $live == 1 ]] && systemctl -q is-active "$NAME.service" && ((deps_changed == 0)) \
    && ! unit_changed "$NAME.service"; then
    # SIGHUP: new workers load the new code, old ones finish their requests.
    sys systemctl reload "$NAME.service"
else
    # First start, new packages (gunicorn itself) or a changed unit. The socket
    # queues requests meanwhile.
    sys systemctl restart "$NAME.service"
fi
if ((first_install)); then
    say "first scrape (in the background: journalctl -u $NAME-scrape -f)"
    sys systemctl start --no-block "$NAME-scrape.service"
fi

# Replication starts once the database exists (init-db above); a new binary (new venv)
# or a changed unit restarts it, which syncs what is pending before it stops.
sys systemctl enable "$NAME-litestream.service"
if [[ $live == 1 ]] && systemctl -q is-active "$NAME-litestream.service" && ((deps_changed == 0)) \
    && ! unit_changed "$NAME-litestream.service"; then
    :
else
    sys systemctl restart "$NAME-litestream.service"
fi

say "nginx"
sys nginx -t -q
if [[ $live == 1 ]] && systemctl -q is-active nginx; then
    sys systemctl reload nginx
else
    sys systemctl enable --now nginx
fi

port=$([[ $LISTEN == 80 ]] || echo ":${LISTEN##*:}")
say "done: http://${SERVER_NAME%% *}$port/   (status: systemctl status $NAME '$NAME-scrape.*')"
((${#changed[@]})) || echo "    (nothing changed)"
