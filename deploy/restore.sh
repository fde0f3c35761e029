#!/usr/bin/env bash
# Chutes TPS Leaderboard: put a backup back as the live database, as root.
#
#   deploy/restore.sh /var/backups/chutes-leaderboard/leaderboard-2026-11-28.sqlite3
#   make restore BACKUP=/var/backups/chutes-leaderboard/leaderboard-2026-11-28.sqlite3
#   deploy/restore.sh --from-replica   # the newest state of the Litestream replica
#
# --from-replica restores the replica named in /etc/chutes-leaderboard/litestream.yml
# (the directory by default, or its S3/SFTP replica) into a private file with the venv's
# `litestream restore`, then goes on as with a backup file:
# 1. checks the file (`PRAGMA integrity_check`, and that it is a leaderboard database)
#    before touching anything: a bad backup is refused and the site keeps running;
# 2. stops the timers, the socket and the services, so nothing writes or holds the
#    database open while it is swapped;
# 3. moves the current database aside with its -wal (as leaderboard.sqlite3.pre-restore
#    and leaderboard.sqlite3.pre-restore-wal: SQLite still opens that pair as one
#    database, so the restore itself can be undone), drops the stale -shm;
# 4. puts the copy in place with rename(2), owned by the service user, mode 0600 (as
#    the services' UMask=0077 makes it), and
#    bumps the data version so no cache serves pre-restore pages;
# 5. resets Litestream's local state for the new file (its next sync replicates it
#    whole) and starts everything again (the scraper's next run fills in the days since
#    the backup that chutes.ai still shows).
set -euo pipefail

NAME=chutes-leaderboard
CONF_DIR=/etc/$NAME
die() { echo "restore.sh: $*" >&2; exit 1; }
say() { echo "==> $*"; }

backup=${1:-}
from_replica=0
[[ $backup == --from-replica ]] && from_replica=1
[[ -n $backup && ($backup != -* || $from_replica == 1) ]] || {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
    exit 2
}
[[ $(id -u) == 0 ]] || die "run as root"
[[ $from_replica == 1 || -f $backup ]] || die "no such file: $backup"
command -v sqlite3 >/dev/null || die "sqlite3 is not installed"

SERVICE_USER=$NAME PREFIX=/opt/$NAME
if [[ -r $CONF_DIR/install.conf ]]; then
    # shellcheck source=/dev/null
    . "$CONF_DIR/install.conf"
fi
db=$(sed -n 's/^LEADERBOARD_DATABASE=//p' "$CONF_DIR/leaderboard.env" 2>/dev/null | tail -1)
db=${db:-/var/lib/$NAME/leaderboard.sqlite3}
state=$(dirname "$db")
[[ -d $state ]] || die "no state directory $state (is the site installed?)"
litestream=$PREFIX/.venv/bin/litestream
litestream_conf=$CONF_DIR/litestream.yml
if ((from_replica)); then
    [[ -x $litestream ]] || die "no $litestream (deploy/install.sh installs it)"
    [[ -r $litestream_conf ]] || die "no $litestream_conf (deploy/install.sh writes it)"
fi

# Check a private copy, on the same file system as the database so the final step is
# a rename. Opening the backup itself could leave a -journal beside it.
tmp=$state/.restore-$$.sqlite3
trap 'rm -f -- "$tmp" "$tmp-journal" "$tmp-wal" "$tmp-shm"' EXIT
if ((from_replica)); then
    backup="the replica of $db ($litestream_conf)"
    say "restoring $backup"
    # The newest state the replica holds; the site keeps running meanwhile.
    "$litestream" restore -config "$litestream_conf" -o "$tmp" "$db" \
        || die "litestream restore failed, nothing changed"
    [[ -f $tmp ]] || die "the replica holds no database yet, nothing changed"
else
    cp -- "$backup" "$tmp"
fi
say "checking $backup"
check=$(sqlite3 -bail "$tmp" "PRAGMA integrity_check;" 2>&1) || die "not a database: $check"
[[ $check == ok ]] || die "integrity_check failed, nothing changed: $check"
rows=$(sqlite3 -bail "$tmp" "SELECT count(*) FROM daily_stats;" 2>&1) \
    || die "not a leaderboard database (no daily_stats table), nothing changed"
# The services expect WAL (init-db sets it); a backup is in DELETE mode.
sqlite3 -bail "$tmp" "PRAGMA journal_mode=WAL;" >/dev/null
chown "$SERVICE_USER:$SERVICE_USER" "$tmp"
chmod 0600 "$tmp"

units=("$NAME-scrape.timer" "$NAME-backup.timer" "$NAME.socket" "$NAME.service"
    "$NAME-scrape.service" "$NAME-backup.service" "$NAME-litestream.service")
# Own probes write to the database too (installed only with a probe key): a probe run
# left going would commit into the file being replaced, and its rows would vanish.
probes=0
if systemctl cat "$NAME-probe.timer" >/dev/null 2>&1; then
    probes=1
    units+=("$NAME-probe.timer" "$NAME-probe.service")
fi
say "stopping ${units[*]}"
systemctl stop "${units[@]}"

say "replacing $db ($rows daily rows in the backup)"
if [[ -f $db ]]; then
    mv -f -- "$db" "$db.pre-restore"
    rm -f -- "$db.pre-restore-wal"
    [[ ! -f $db-wal ]] || mv -f -- "$db-wal" "$db.pre-restore-wal"
fi
rm -f -- "$db-wal" "$db-shm"
mv -f -- "$tmp" "$db"
# The data version is the identity of this file (app/plumbing/cache.py): a fresh inode.
printf 'restored %s\n' "$(date -u +%FT%TZ)" >"$db.version.new"
chown "$SERVICE_USER:$SERVICE_USER" "$db.version.new"
chmod 0644 "$db.version.new"
mv -f -- "$db.version.new" "$db.version"
sync -f "$db" 2>/dev/null || true
if [[ -x $litestream && -r $litestream_conf ]]; then
    # A new file to Litestream: drop its local state (kept beside the database) so the
    # next sync starts from this file, never from positions of the one it replaced.
    runuser -u "$SERVICE_USER" -- "$litestream" reset -config "$litestream_conf" "$db" >/dev/null \
        || die "litestream reset failed: the database is restored, replication is not started"
fi

say "starting the site again"
systemctl start "$NAME.socket" "$NAME.service" "$NAME-scrape.timer"
if systemctl cat "$NAME-backup.timer" >/dev/null 2>&1; then
    systemctl start "$NAME-backup.timer"
fi
if systemctl cat "$NAME-litestream.service" >/dev/null 2>&1; then
    systemctl start "$NAME-litestream.service"
fi
if ((probes)); then
    systemctl start "$NAME-probe.timer"
fi
say "restored; the previous database is $db.pre-restore"
