#!/usr/bin/env bash
# Chutes TPS Leaderboard: one backup of the SQLite database, then rotation.
#
#   deploy/backup.sh [--db FILE] [--dest DIR] [--date YYYY-MM-DD]
#                    [--keep-daily N] [--keep-weekly N]
#
# Run daily by chutes-leaderboard-backup.timer (as the service user, sandboxed); by hand:
#   systemctl start chutes-leaderboard-backup.service
#
# 1. SQLite's online backup API (`.backup`) copies a consistent snapshot while the site
#    reads and the scraper writes: the history is kept forever here, but chutes.ai only
#    shows a window, so a lost database could never be scraped back.
# 2. The copy is switched to a single self-contained file (journal_mode=DELETE: no -wal
#    needed beside it) and must pass `PRAGMA integrity_check` before it gets its name;
#    a failed backup leaves the previous ones untouched and exits non-zero (the unit
#    fails, so `systemctl --failed` and monitoring see it).
# 3. Rotation keeps the newest backup of each of the last N days (7) and of each of the
#    last N ISO weeks (4), like `restic forget --keep-daily 7 --keep-weekly 4`.
#
# Restore one with deploy/restore.sh (or `make restore BACKUP=FILE`).
set -euo pipefail

db=${LEADERBOARD_DATABASE:-/var/lib/chutes-leaderboard/leaderboard.sqlite3}
dest=${BACKUP_DIR:-/var/backups/chutes-leaderboard}
day=""
keep_daily=7 keep_weekly=4
while (($#)); do
    case $1 in
        --db) db=${2:?--db needs a file}; shift ;;
        --dest) dest=${2:?--dest needs a directory}; shift ;;
        # A fixed date names the backup (the tests rotate through fake days with it).
        --date) day=${2:?--date needs YYYY-MM-DD}; shift ;;
        --keep-daily) keep_daily=${2:?}; shift ;;
        --keep-weekly) keep_weekly=${2:?}; shift ;;
        -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) echo "backup.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done
die() { echo "backup.sh: $*" >&2; exit 1; }

day=${day:-$(date -u +%F)}
[[ $day =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] && date -u -d "$day" +%F >/dev/null 2>&1 \
    || die "--date must be YYYY-MM-DD: $day"
[[ $keep_daily =~ ^[0-9]+$ && $keep_weekly =~ ^[0-9]+$ ]] || die "--keep-* must be numbers"
[[ -f $db ]] || die "no database at $db"
[[ -d $dest ]] || die "no backup directory $dest (deploy/install.sh creates it)"
command -v sqlite3 >/dev/null || die "sqlite3 is not installed"

umask 077
final=$dest/leaderboard-$day.sqlite3
tmp=$dest/.leaderboard-$day.sqlite3.partial
trap 'rm -f -- "$tmp" "$tmp-journal"' EXIT
rm -f -- "$tmp"
started=$(date +%s.%N)

# .timeout: wait for the scraper's write transaction instead of failing on SQLITE_BUSY.
# The backup API restarts by itself if the database changes while it copies.
sqlite3 -bail "$db" ".timeout 60000" ".backup '$tmp'" || die "sqlite3 .backup failed"
mode=$(sqlite3 -bail "$tmp" "PRAGMA journal_mode=DELETE;") || die "cannot open the copy"
[[ $mode == delete ]] || die "copy stayed in journal mode $mode"
check=$(sqlite3 -bail "$tmp" "PRAGMA integrity_check;") || die "integrity_check failed to run"
[[ $check == ok ]] || die "integrity_check of the copy: $check"
rows=$(sqlite3 -bail "$tmp" "SELECT count(*) FROM daily_stats;") || die "not a leaderboard db"

chmod 0600 "$tmp"
mv -f -- "$tmp" "$final" # rename(2): a backup file is complete or absent
sync -f "$final" 2>/dev/null || true
elapsed=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
echo "backup: $final ($(stat -c %s "$final") bytes, $rows daily rows, integrity ok, ${elapsed}s)"

# --- rotation ---------------------------------------------------------------------------
# Names carry the day, so the policy never depends on file times (copies keep it).
shopt -s nullglob
days=()
for file in "$dest"/leaderboard-????-??-??.sqlite3; do
    name=${file##*/leaderboard-}
    days+=("${name%.sqlite3}")
done
mapfile -t days < <(printf '%s\n' "${days[@]}" | sort -r) # newest first
declare -A keep=()
weeks=0 last_week=""
for i in "${!days[@]}"; do
    d=${days[$i]}
    ((i < keep_daily)) && keep[$d]=1
    week=$(date -u -d "$d" +%G-W%V)
    if [[ $week != "$last_week" ]]; then
        # The first (newest) backup seen of a week stands for that week.
        last_week=$week
        ((weeks++ < keep_weekly)) && keep[$d]=1
    fi
done
for d in "${days[@]}"; do
    if [[ -z ${keep[$d]:-} ]]; then
        rm -f -- "$dest/leaderboard-$d.sqlite3"
        echo "rotated out: leaderboard-$d.sqlite3"
    fi
done
echo "kept ${#keep[@]} backups in $dest"
