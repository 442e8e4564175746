#!/bin/bash
# Try Duet without an account: builds Duet, starts the demo homeserver (people,
# direct chats and a bot that answers) on http://127.0.0.1:8008 and, once the
# app is built and a display is there, opens Duet signed in as @demo:localhost
# (password demo-password).
#
# Everything runs in a throwaway HOME with its own D-Bus session and keyring,
# so your own settings and keyring are never touched; all of it goes away when
# you quit (Ctrl+C).
#
# usage: build-aux/run-demo.sh [--port PORT]
set -euo pipefail

port=8008
while [ "$#" -gt 0 ]; do
  case $1 in
    --port) [ "$#" -ge 2 ] || { echo "run-demo.sh: --port needs a number" >&2; exit 2; }
      port=$2; shift 2 ;;
    --port=*) port=${1#*=}; shift ;;
    -h|--help) echo "usage: build-aux/run-demo.sh [--port PORT]"; exit 0 ;;
    *) echo "run-demo.sh: unknown argument: $1" >&2
      echo "usage: build-aux/run-demo.sh [--port PORT]" >&2; exit 2 ;;
  esac
done
case $port in
  ''|*[!0-9]*) echo "run-demo.sh: --port needs a number" >&2; exit 2 ;;
esac

srcdir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$srcdir"
# shellcheck source=build-aux/session-lib.sh
. build-aux/session-lib.sh

builddir=$srcdir/_build/demo
homeserver_bin=$builddir/tests/homeserver/duet-demo-homeserver
app_bin=$builddir/src/duet
url=http://127.0.0.1:$port
demo_user=@demo:localhost
demo_password=demo-password

say() {
  if [ -t 1 ]; then
    printf '\n\033[1m%s\033[0m\n' "$*"
  else
    printf '\n== %s\n' "$*"
  fi
}

say "Checking Debian packages"
build-aux/install-deps.sh

say "Building Duet in $builddir"
if [ -f "$builddir/meson-private/coredata.dat" ]; then
  meson setup --reconfigure -Ddemo=true -Dtests=false "$builddir" >/dev/null ||
    meson setup --wipe -Ddemo=true -Dtests=false "$builddir"
else
  meson setup -Ddemo=true -Dtests=false "$builddir"
fi
meson compile -C "$builddir"

if [ ! -x "$homeserver_bin" ]; then
  echo "run-demo.sh: the build did not produce $homeserver_bin" >&2
  exit 1
fi

# What the app needs from the desktop session, taken before HOME and
# XDG_RUNTIME_DIR point into the throwaway folder.
display_available=false
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  display_available=true
fi
if [ -n "${WAYLAND_DISPLAY:-}" ] && [ "${WAYLAND_DISPLAY#/}" = "$WAYLAND_DISPLAY" ]; then
  # A relative socket name is looked up in XDG_RUNTIME_DIR, which changes below.
  if [ -n "${XDG_RUNTIME_DIR:-}" ]; then
    export WAYLAND_DISPLAY=$XDG_RUNTIME_DIR/$WAYLAND_DISPLAY
  else
    unset WAYLAND_DISPLAY
  fi
fi
if [ -n "${DISPLAY:-}" ] && [ -z "${XAUTHORITY:-}" ] && [ -f "${HOME:-/nonexistent}/.Xauthority" ]; then
  export XAUTHORITY=$HOME/.Xauthority
fi

bus_pid=
homeserver_pid=
app_pid=
DUET_SESSION_HOME=

# shellcheck disable=SC2317  # called from the traps
cleanup() {
  trap - EXIT INT TERM HUP
  local pid
  for pid in "$app_pid" "$homeserver_pid" "$bus_pid"; do
    if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  for pid in "$app_pid" "$homeserver_pid"; do
    if [ -n "$pid" ]; then wait "$pid" 2>/dev/null || true; fi
  done
  if [ -n "$DUET_SESSION_HOME" ]; then
    duet_session_kill_strays "$DUET_SESSION_HOME"
    duet_session_remove_home "$DUET_SESSION_HOME"
  fi
}
trap cleanup EXIT
trap 'echo; exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

say "Starting a private session (throwaway HOME, D-Bus and keyring)"
duet_session_make_home duet-demo
echo "HOME=$DUET_SESSION_HOME"
bus_info=$(env "${DUET_SESSION_ENV[@]}" \
  dbus-daemon --session --fork --nopidfile --print-address=1 --print-pid=1)
bus_address=$(sed -n 1p <<<"$bus_info")
bus_pid=$(sed -n 2p <<<"$bus_info")
# From here on this shell lives in the private session, and so does all it starts.
export "${DUET_SESSION_ENV[@]}"
export DBUS_SESSION_BUS_ADDRESS=$bus_address
duet_session_unlock_keyring

port_answers() {
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

say "Starting the demo homeserver on $url"
if port_answers; then
  echo "run-demo.sh: port $port is already taken; choose another with --port" >&2
  exit 1
fi
# Background jobs of a script ignore Ctrl+C; the EXIT trap ends it.
"$homeserver_bin" --port "$port" &
homeserver_pid=$!
for _ in $(seq 100); do
  if ! kill -0 "$homeserver_pid" 2>/dev/null; then
    wait "$homeserver_pid" || true
    homeserver_pid=
    echo "run-demo.sh: the demo homeserver stopped (is port $port taken? try --port)" >&2
    exit 1
  fi
  if port_answers; then
    break
  fi
  sleep 0.1
done
if ! port_answers; then
  echo "run-demo.sh: the demo homeserver does not answer on port $port yet; carrying on" >&2
fi

stay() {
  echo
  echo "The demo homeserver keeps running at $url (user $demo_user, password $demo_password)."
  echo "Press Ctrl+C to stop it and remove the throwaway session."
  local status=0
  wait "$homeserver_pid" || status=$?
  homeserver_pid=
  if [ "$status" -ne 0 ]; then
    echo "run-demo.sh: the demo homeserver stopped (status $status)" >&2
  fi
  exit "$status"
}

if [ ! -x "$app_bin" ]; then
  say "The Duet app is not built yet"
  echo "The GTK app arrives with the next milestones; this build has no $app_bin."
  echo "Until then, this command runs the demo homeserver that the app will sign in to."
  stay
elif [ "$display_available" != true ]; then
  say "Duet needs a graphical session"
  echo "There is no display here (neither DISPLAY nor WAYLAND_DISPLAY is set), and Duet is"
  echo "a GTK app. Run this command from a desktop session, or look anyway on a virtual"
  echo "screen:"
  echo
  echo "  xvfb-run -n 99 -s '-screen 0 1280x800x24 -ac' build-aux/run-demo.sh"
  echo
  echo "and take a screenshot from another terminal:"
  echo
  echo "  DISPLAY=:99 import -window root duet.png"
  stay
else
  say "Starting Duet, signed in as $demo_user"
  # The schema compiled in the build folder: Duet is run from there, not installed.
  GSETTINGS_SCHEMA_DIR=$builddir/data \
  DUET_DEMO_HOMESERVER=$url \
  DUET_DEMO_USER=$demo_user \
  DUET_DEMO_PASSWORD=$demo_password \
    "$app_bin" &
  app_pid=$!
  app_status=0
  wait "$app_pid" || app_status=$?
  app_pid=
  echo "Duet exited (status $app_status)."
  exit "$app_status"
fi
