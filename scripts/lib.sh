# shellcheck shell=bash
# Shared shell helpers for scripts/*.sh and .ci/run. Source it; it defines functions only.
#
# Everything here is for a fresh Debian machine where we are root: missing tools are installed
# with apt-get (after one `apt-get update`), nothing is downloaded from anywhere else.

# section TITLE: a header that stands out in CI logs.
section() {
    printf '\n==== %s ====\n' "$*"
}

# step TITLE: open a timed section; step_done: close it, print and keep its duration in TIMES
# (for a summary: `printf '%s\n' "${TIMES[@]}"`).
TIMES=()
step() {
    section "$*"
    _step_start=$SECONDS
    _step_name=$*
}
step_done() {
    local took=$((SECONDS - _step_start))
    echo "(${_step_name}: ${took}s)"
    TIMES+=("$(printf '%-52s %5ss' "$_step_name" "$took")")
}

# die MESSAGE: print to stderr and exit 1.
die() {
    printf 'FAILED: %s\n' "$*" >&2
    exit 1
}

# skip MESSAGE: say clearly that a check did not run, and why.
skip() {
    printf 'SKIPPED: %s\n' "$*"
}

_apt_updated=0
# apt_install PKG...: install Debian packages, running `apt-get update` once, only when needed.
apt_install() {
    if [ "$(id -u)" != 0 ]; then
        die "need root to apt-get install $*"
    fi
    if [ "$_apt_updated" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        _apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# need_cmds "CMD:PKG"...: apt-get install the packages of the commands that are missing.
need_cmds() {
    local pair pkgs=()
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || pkgs+=("${pair#*:}")
    done
    if [ "${#pkgs[@]}" -gt 0 ]; then
        echo "installing missing tools: ${pkgs[*]}"
        apt_install "${pkgs[@]}"
    fi
}

# wait_for_line FILE REGEX SECONDS [PID]: print the first line of FILE matching REGEX (ERE),
# polling every 0.1 s; fail after SECONDS, or at once if PID (the writer) has exited.
wait_for_line() {
    local file=$1 re=$2 limit=$3 pid=${4:-} i line
    for ((i = 0; i < limit * 10; i++)); do
        line=$(grep -m1 -E "$re" "$file" 2>/dev/null || true)
        if [ -n "$line" ]; then
            printf '%s\n' "$line"
            return 0
        fi
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            echo "process $pid exited before printing /$re/; its output:" >&2
            cat "$file" >&2 || true
            return 1
        fi
        sleep 0.1
    done
    echo "no line matching /$re/ in $file after ${limit}s; output so far:" >&2
    cat "$file" >&2 || true
    return 1
}

# stop_pid PID: stop a process this script started (TERM, then KILL after 5 s).
stop_pid() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# aws_isolated ARGS...: run aws-cli cut off from this machine's AWS config and instance
# metadata. Needs AWSCLI_HOME (a temp dir) and the AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
# to use in the environment. Uses `aws` from PATH, else a copy installed with pip under
# target/awscli (pip's --target works on Debian's externally managed Python too).
aws_isolated() {
    : "${AWSCLI_HOME:?aws_isolated needs AWSCLI_HOME}"
    [ -f "$AWSCLI_HOME/config" ] || printf '[default]\nregion = us-east-1\n' >"$AWSCLI_HOME/config"
    : >>"$AWSCLI_HOME/credentials"
    local run=(aws) dir
    if ! command -v aws >/dev/null 2>&1; then
        dir=$(_awscli_dir) || return 1
        run=(env "PYTHONPATH=$dir" python3 -m awscli)
    fi
    env -u AWS_PROFILE -u AWS_DEFAULT_PROFILE -u AWS_SESSION_TOKEN -u AWS_CA_BUNDLE \
        AWS_CONFIG_FILE="$AWSCLI_HOME/config" \
        AWS_SHARED_CREDENTIALS_FILE="$AWSCLI_HOME/credentials" \
        AWS_EC2_METADATA_DISABLED=true \
        AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 \
        "${run[@]}" "$@"
}

_awscli_dir() {
    local dir
    dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/target/awscli"
    if [ ! -f "$dir/awscli/__init__.py" ]; then
        need_cmds python3:python3
        python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip >&2
        echo "installing aws-cli with pip into target/awscli" >&2
        PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check \
            --target "$dir" awscli >&2
    fi
    printf '%s\n' "$dir"
}

# have_aws: true when aws-cli is on PATH or can be installed with pip.
have_aws() {
    command -v aws >/dev/null 2>&1 && return 0
    command -v python3 >/dev/null 2>&1
}
