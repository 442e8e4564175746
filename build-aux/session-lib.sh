# shellcheck shell=bash
# Helpers shared by test-env.sh and run-demo.sh: a throwaway HOME, a Secret
# Service keyring unlocked with a known password, and clean-up of whatever
# was started for that HOME. Source this file; it does nothing by itself.

# Password of the throwaway login keyring. It must not be empty: with an empty
# password gnome-keyring creates no login keyring, and libsecret then fails with
# "Object does not exist at path .../collection/login".
DUET_KEYRING_PASSWORD=${DUET_KEYRING_PASSWORD:-duet-test}

# duet_session_make_home PREFIX
# Creates a private folder and sets DUET_SESSION_HOME to it. The caller passes
# the environment in DUET_SESSION_ENV (NAME=value words for env(1)) to the
# programs it starts, so that the calling shell keeps its own HOME: that is how
# duet_session_kill_strays tells our children from everything else.
duet_session_make_home() {
  local prefix=$1
  # A short path keeps the keyring's control socket under the 108-byte limit.
  DUET_SESSION_HOME=$(mktemp -d "${TMPDIR:-/tmp}/${prefix}.XXXXXX")
  mkdir -p "$DUET_SESSION_HOME/.local/share" "$DUET_SESSION_HOME/.config" \
    "$DUET_SESSION_HOME/.cache"
  mkdir -m 700 "$DUET_SESSION_HOME/run"
  # shellcheck disable=SC2034  # used by the scripts that source this file
  DUET_SESSION_ENV=(
    "HOME=$DUET_SESSION_HOME"
    "XDG_DATA_HOME=$DUET_SESSION_HOME/.local/share"
    "XDG_CONFIG_HOME=$DUET_SESSION_HOME/.config"
    "XDG_CACHE_HOME=$DUET_SESSION_HOME/.cache"
    "XDG_RUNTIME_DIR=$DUET_SESSION_HOME/run"
  )
}

# duet_session_unlock_keyring
# Run inside the private D-Bus session, with the environment from
# duet_session_make_home. Starts gnome-keyring-daemon (it daemonizes and leaves
# when the bus goes away), unlocks a login keyring with DUET_KEYRING_PASSWORD,
# and exports whatever variables the daemon prints.
duet_session_unlock_keyring() {
  local out line
  if ! command -v gnome-keyring-daemon >/dev/null; then
    echo "duet: gnome-keyring-daemon not found (install gnome-keyring; see build-aux/install-deps.sh)" >&2
    return 1
  fi
  # Never talk to a keyring of the calling session.
  unset GNOME_KEYRING_CONTROL SSH_AUTH_SOCK
  if ! out=$(printf '%s' "$DUET_KEYRING_PASSWORD" |
      gnome-keyring-daemon --unlock --components=secrets); then
    echo "duet: gnome-keyring-daemon --unlock failed" >&2
    return 1
  fi
  while IFS= read -r line; do
    case $line in
      [A-Za-z_]*=*) export "${line?}" ;;
    esac
  done <<<"$out"
}

# duet_session_kill_strays HOME
# Ends, by process id, every process still running with HOME set to our
# throwaway HOME: a keyring or service that outlived the bus would otherwise
# keep running and could hold the test's output pipes open. The calling shell
# never exports that HOME itself, so it is not among them.
duet_session_kill_strays() {
  local home=$1 environ pid var
  local -a vars pids=()
  [ -n "$home" ] || return 0
  for environ in /proc/[0-9]*/environ; do
    pid=${environ#/proc/}
    pid=${pid%/environ}
    [ "$pid" != "$$" ] || continue
    vars=()
    mapfile -d '' vars 2>/dev/null <"$environ" || continue
    for var in "${vars[@]}"; do
      if [ "$var" = "HOME=$home" ]; then
        pids+=("$pid")
        break
      fi
    done
  done
  [ "${#pids[@]}" -gt 0 ] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
}

# duet_session_remove_home HOME
duet_session_remove_home() {
  local home=$1
  case $home in
    "${TMPDIR:-/tmp}"/duet-*) rm -rf -- "$home" ;;
  esac
}
