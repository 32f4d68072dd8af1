# shellcheck shell=bash
#
# Finds or starts the Postgres that benchhub's scripts use. Source this file, then call
# `benchhub_pg_ensure` directly (not inside `$(...)`, which would lose the exports):
#
#   source scripts/lib/pg.sh
#   trap benchhub_pg_stop EXIT
#   benchhub_pg_ensure
#
# Rule, first match wins:
#   1. DATABASE_URL is set: it is used as is (unless BENCHHUB_PG=private, which always starts a private cluster).
#   2. BENCHHUB_PG is not `private` and a server answers on 127.0.0.1:5432 (and, when psql is
#      installed, accepts user postgres without a password):
#      DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres.
#   3. Otherwise a private throwaway cluster: initdb into a temporary directory, trust auth,
#      listening only on 127.0.0.1 on a free port below 32768, sockets in that directory.
#      postgresql is installed with apt-get when missing (root only). Postgres refuses to run as
#      root, so as root the cluster runs as a non-root system user (`postgres` when it exists,
#      otherwise `benchhub-pg`, created on demand). `benchhub_pg_stop` stops it and removes the
#      directory; callers trap EXIT (and INT/TERM) to call it.
#
# Environment:
#   DATABASE_URL        used when set; exported by benchhub_pg_ensure otherwise.
#   BENCHHUB_PG         auto (default) | private (always start a private cluster).
#   BENCHHUB_PG_BINDIR  directory holding initdb and pg_ctl (default: searched, newest version).
#   BENCHHUB_PG_USER    user that runs a private cluster when the caller is root.
# Exported for a private cluster: DATABASE_URL, BENCHHUB_PG_PRIVATE_DIR, BENCHHUB_PG_PRIVATE_PORT.
# Works under `set -euo pipefail`. Messages go to stderr, prefixed `benchhub: postgres:`.

if [[ -n "${_BENCHHUB_PG_SH_LOADED:-}" ]]; then
    return 0
fi
_BENCHHUB_PG_SH_LOADED=1

_BENCHHUB_PG_BINDIR=""
_BENCHHUB_PG_RUN_USER=""

_benchhub_pg_say() {
    printf 'benchhub: postgres: %s\n' "$*" >&2
}

# Prints a URL with its password replaced by `***`.
_benchhub_pg_redact() {
    local url="$1"
    if [[ "$url" =~ ^([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@]*):[^@/]*@(.*)$ ]]; then
        printf '%s:***@%s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
    else
        printf '%s\n' "$url"
    fi
}

# Succeeds when something accepts TCP connections on 127.0.0.1:$1.
_benchhub_pg_port_open() {
    local port="$1"
    if command -v timeout >/dev/null 2>&1; then
        timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/${port}" 2>/dev/null
    else
        bash -c "exec 3<>/dev/tcp/127.0.0.1/${port}" 2>/dev/null
    fi
}

# Succeeds when a Postgres server accepts connections on 127.0.0.1:$1.
_benchhub_pg_server_answers() {
    local port="$1"
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h 127.0.0.1 -p "$port" -t 3 >/dev/null 2>&1
    else
        _benchhub_pg_port_open "$port"
    fi
}

# Succeeds when the given URL accepts a login without a password prompt. Without psql there is
# no way to tell, so it succeeds.
_benchhub_pg_can_login() {
    local url="$1"
    if ! command -v psql >/dev/null 2>&1; then
        return 0
    fi
    PGCONNECT_TIMEOUT=5 psql -w -X -q -A -t "$url" -c 'select 1' >/dev/null 2>&1
}

_benchhub_pg_is_root() {
    [[ "$(id -u)" -eq 0 ]]
}

# Prints the directory holding initdb, pg_ctl and postgres, or fails.
_benchhub_pg_find_bindir() {
    local candidate dir
    local -a candidates=()
    if [[ -n "${BENCHHUB_PG_BINDIR:-}" ]]; then
        candidates+=("$BENCHHUB_PG_BINDIR")
    fi
    if candidate="$(command -v initdb 2>/dev/null)"; then
        candidates+=("$(dirname "$(readlink -f "$candidate")")")
    fi
    if [[ -e /usr/local/bin/initdb ]]; then
        candidates+=("$(dirname "$(readlink -f /usr/local/bin/initdb)")")
    fi
    # Debian/Ubuntu layout, newest major version first.
    while IFS= read -r dir; do
        [[ -n "$dir" ]] && candidates+=("$dir")
    done < <(compgen -G '/usr/lib/postgresql/*/bin' | sort -t/ -k5,5 -V -r || true)
    for dir in "${candidates[@]}"; do
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/postgres" ]]; then
            printf '%s\n' "$dir"
            return 0
        fi
    done
    return 1
}

# Installs postgresql with apt-get (root only).
_benchhub_pg_install() {
    if ! _benchhub_pg_is_root; then
        _benchhub_pg_say "initdb/pg_ctl not found and not running as root, so postgresql cannot be installed here."
        _benchhub_pg_say "install it (e.g. 'sudo apt-get install -y postgresql'), set BENCHHUB_PG_BINDIR, or set DATABASE_URL to a running server."
        return 1
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        _benchhub_pg_say "initdb/pg_ctl not found and apt-get is missing; install postgresql or set DATABASE_URL."
        return 1
    fi
    _benchhub_pg_say "initdb/pg_ctl not found; installing postgresql with apt-get (this takes a minute)"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >&2; then
        _benchhub_pg_say "apt-get install postgresql failed; install it by hand or set DATABASE_URL."
        return 1
    fi
}

# Picks (creating if needed) the non-root user that runs the cluster when the caller is root.
_benchhub_pg_pick_user() {
    if [[ -n "${BENCHHUB_PG_USER:-}" ]]; then
        if ! id -u "$BENCHHUB_PG_USER" >/dev/null 2>&1; then
            _benchhub_pg_say "BENCHHUB_PG_USER=$BENCHHUB_PG_USER: no such user"
            return 1
        fi
        if [[ "$(id -u "$BENCHHUB_PG_USER")" -eq 0 ]]; then
            _benchhub_pg_say "BENCHHUB_PG_USER=$BENCHHUB_PG_USER: must not be root (Postgres refuses to run as root)"
            return 1
        fi
        printf '%s\n' "$BENCHHUB_PG_USER"
        return 0
    fi
    if id -u postgres >/dev/null 2>&1 && [[ "$(id -u postgres)" -ne 0 ]]; then
        printf '%s\n' postgres
        return 0
    fi
    if ! id -u benchhub-pg >/dev/null 2>&1; then
        if ! useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin benchhub-pg >&2; then
            _benchhub_pg_say "could not create the system user benchhub-pg; set BENCHHUB_PG_USER to a non-root user"
            return 1
        fi
    fi
    printf '%s\n' benchhub-pg
}

# Runs a command as the cluster's user (the caller itself when not root), from a directory that
# user can enter.
_benchhub_pg_as_user() {
    local workdir="$1"
    shift
    if [[ -z "$_BENCHHUB_PG_RUN_USER" ]]; then
        (cd "$workdir" && "$@")
    elif command -v runuser >/dev/null 2>&1; then
        (cd "$workdir" && runuser -u "$_BENCHHUB_PG_RUN_USER" -- "$@")
    else
        local quoted
        quoted="$(printf '%q ' "$@")"
        (cd "$workdir" && su "$_BENCHHUB_PG_RUN_USER" -s /bin/sh -c "$quoted")
    fi
}

# Prints a port in 15432..31999 that nothing listens on, starting from a random one.
_benchhub_pg_free_port() {
    local span=16568 start port i
    start=$((RANDOM % span))
    for ((i = 0; i < span; i++)); do
        port=$((15432 + (start + i) % span))
        if ! _benchhub_pg_port_open "$port"; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    return 1
}

_benchhub_pg_start_private() {
    local bindir dir data log port attempt version
    if ! bindir="$(_benchhub_pg_find_bindir)"; then
        _benchhub_pg_install || return 1
        if ! bindir="$(_benchhub_pg_find_bindir)"; then
            _benchhub_pg_say "postgresql is installed but initdb/pg_ctl were not found; set BENCHHUB_PG_BINDIR"
            return 1
        fi
    fi
    _BENCHHUB_PG_BINDIR="$bindir"

    _BENCHHUB_PG_RUN_USER=""
    if _benchhub_pg_is_root; then
        _BENCHHUB_PG_RUN_USER="$(_benchhub_pg_pick_user)" || return 1
    fi

    # As root the directory must be reachable by the cluster's user; /tmp always is.
    local parent="${TMPDIR:-/tmp}"
    if [[ -n "$_BENCHHUB_PG_RUN_USER" ]] && ! runuser -u "$_BENCHHUB_PG_RUN_USER" -- test -x "$parent" 2>/dev/null; then
        parent=/tmp
    fi
    dir="$(mktemp -d "$parent/benchhub-pg.XXXXXX")" || {
        _benchhub_pg_say "could not create a temporary directory under $parent"
        return 1
    }
    chmod 700 "$dir"
    if [[ -n "$_BENCHHUB_PG_RUN_USER" ]]; then
        chown "$_BENCHHUB_PG_RUN_USER" "$dir"
    fi
    export BENCHHUB_PG_PRIVATE_DIR="$dir"
    data="$dir/data"
    log="$dir/postgres.log"

    if ! _benchhub_pg_as_user "$dir" "$bindir/postgres" --version >/dev/null 2>&1; then
        _benchhub_pg_say "user ${_BENCHHUB_PG_RUN_USER:-$(id -un)} cannot run $bindir/postgres"
        benchhub_pg_stop
        return 1
    fi
    if ! _benchhub_pg_as_user "$dir" "$bindir/initdb" -D "$data" -U postgres -A trust -E UTF8 \
        --locale=C --no-sync >"$dir/initdb.out" 2>&1; then
        _benchhub_pg_say "initdb failed:"
        sed 's/^/    /' "$dir/initdb.out" >&2 || true
        benchhub_pg_stop
        return 1
    fi
    # Throwaway cluster: durability off for speed; enough connections for parallel test pools.
    # shellcheck disable=SC2016 # $1 is expanded by the inner sh
    _benchhub_pg_as_user "$dir" sh -c 'cat >>"$1"' sh "$data/postgresql.conf" <<EOF

# benchhub private throwaway cluster
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF

    for attempt in 1 2 3 4 5; do
        port="$(_benchhub_pg_free_port)" || {
            _benchhub_pg_say "no free port found in 15432..31999"
            benchhub_pg_stop
            return 1
        }
        if _benchhub_pg_as_user "$dir" "$bindir/pg_ctl" -D "$data" -l "$log" -o "-p $port" \
            -w -t 60 start >"$dir/pg_ctl.out" 2>&1; then
            break
        fi
        if [[ "$attempt" -eq 5 ]] || ! grep -qi 'address already in use\|could not create any TCP/IP sockets' "$log" 2>/dev/null; then
            _benchhub_pg_say "pg_ctl start failed:"
            sed 's/^/    /' "$dir/pg_ctl.out" "$log" >&2 2>/dev/null || true
            benchhub_pg_stop
            return 1
        fi
        port=""
    done

    # pg_ctl -w already waited; this guards against a server that is up but not yet accepting.
    local waited=0
    while ! _benchhub_pg_server_answers "$port"; do
        if ((waited >= 30)); then
            _benchhub_pg_say "private cluster on port $port did not become ready in 30s"
            benchhub_pg_stop
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done

    export BENCHHUB_PG_PRIVATE_PORT="$port"
    export DATABASE_URL="postgres://postgres@127.0.0.1:${port}/postgres"
    version="$("$bindir/postgres" --version 2>/dev/null | sed 's/^postgres (PostgreSQL) \([^ ]*\).*/\1/' || true)"
    _benchhub_pg_say "started a private throwaway cluster (PostgreSQL ${version:-?}, run as ${_BENCHHUB_PG_RUN_USER:-$(id -un)}) at $DATABASE_URL, data in $dir; it is removed at exit"
}

# Exports DATABASE_URL following the rule at the top of this file.
benchhub_pg_ensure() {
    local mode="${BENCHHUB_PG:-auto}"
    case "$mode" in
    auto | "" | private) ;;
    *)
        _benchhub_pg_say "BENCHHUB_PG=$mode is not valid; allowed values: auto, private"
        return 1
        ;;
    esac

    if [[ -n "${DATABASE_URL:-}" && "$mode" == private ]]; then
        _benchhub_pg_say "BENCHHUB_PG=private: ignoring DATABASE_URL and starting a private cluster"
        unset DATABASE_URL
    fi
    if [[ -n "${DATABASE_URL:-}" ]]; then
        _benchhub_pg_say "using DATABASE_URL from the environment: $(_benchhub_pg_redact "$DATABASE_URL")"
        export DATABASE_URL
        return 0
    fi

    if [[ "$mode" != private ]]; then
        local local_url="postgres://postgres@127.0.0.1:5432/postgres"
        if _benchhub_pg_server_answers 5432; then
            if _benchhub_pg_can_login "$local_url"; then
                export DATABASE_URL="$local_url"
                _benchhub_pg_say "using the server on 127.0.0.1:5432 ($DATABASE_URL)"
                return 0
            fi
            _benchhub_pg_say "a server answers on 127.0.0.1:5432 but user postgres cannot log in without a password; starting a private cluster instead"
        fi
    fi

    _benchhub_pg_start_private
}

# Stops the private cluster started by benchhub_pg_ensure, if any, and removes its directory.
# Safe to call more than once and when no private cluster was started; always succeeds.
benchhub_pg_stop() {
    local dir="${BENCHHUB_PG_PRIVATE_DIR:-}"
    if [[ -z "$dir" || ! -d "$dir" ]]; then
        return 0
    fi
    local data="$dir/data"
    if [[ -f "$data/postmaster.pid" && -n "$_BENCHHUB_PG_BINDIR" ]]; then
        _benchhub_pg_as_user "$dir" "$_BENCHHUB_PG_BINDIR/pg_ctl" -D "$data" -m fast -w -t 30 stop \
            >/dev/null 2>&1 || true
    fi
    if [[ -f "$data/postmaster.pid" ]]; then
        local pid
        pid="$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)"
        if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
            _benchhub_pg_say "pg_ctl stop did not finish; killing postmaster $pid"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 1
        fi
    fi
    rm -rf -- "$dir" 2>/dev/null || true
    if [[ -n "${DATABASE_URL:-}" && -n "${BENCHHUB_PG_PRIVATE_PORT:-}" &&
        "$DATABASE_URL" == *"127.0.0.1:${BENCHHUB_PG_PRIVATE_PORT}/"* ]]; then
        unset DATABASE_URL
    fi
    unset BENCHHUB_PG_PRIVATE_DIR BENCHHUB_PG_PRIVATE_PORT
    _benchhub_pg_say "stopped the private cluster and removed $dir"
    return 0
}
