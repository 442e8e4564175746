#!/bin/bash
# Runs ONE test program in a world of its own: a temporary HOME (with the XDG
# folders and TMPDIR inside it), a private D-Bus session and a gnome-keyring
# unlocked with a known password, so that no test touches a developer's real
# keyring or settings. meson.build uses it as the exe_wrapper of the default test setup:
#
#   build-aux/test-env.sh PROGRAM [ARGS...]
#
# The exit status is the program's. The temporary HOME is removed afterwards
# unless DUET_KEEP_TEST_HOME=1 (then its path is printed on stderr). With
# DUET_TEST_XVFB=1 the program also gets its own Xvfb screen (for UI tests).
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 PROGRAM [ARGS...]" >&2
  exit 2
fi

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=build-aux/session-lib.sh
. "$here/session-lib.sh"

for tool in dbus-run-session gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null; then
    echo "test-env.sh: $tool not found; run build-aux/install-deps.sh" >&2
    exit 1
  fi
done

duet_session_make_home duet-test
# Temporary files of the test (g_dir_make_tmp and friends) go with the rest.
mkdir -m 700 "$DUET_SESSION_HOME/tmp"
DUET_SESSION_ENV+=("TMPDIR=$DUET_SESSION_HOME/tmp")

# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
  if [ -n "${xvfb_pid:-}" ]; then
    kill -TERM "$xvfb_pid" 2>/dev/null || true
    wait "$xvfb_pid" 2>/dev/null || true
  fi
  duet_session_kill_strays "$DUET_SESSION_HOME"
  if [ "${DUET_KEEP_TEST_HOME:-0}" = 1 ]; then
    echo "test-env.sh: kept $DUET_SESSION_HOME" >&2
  else
    duet_session_remove_home "$DUET_SESSION_HOME"
  fi
}
trap cleanup EXIT
# meson ends a test that timed out with SIGTERM to the whole process group;
# exit through the EXIT trap so that the folder still goes away.
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

# The inner shell unlocks the keyring inside the new bus, then becomes the test.
# GTK_A11Y=none: on the private bus GTK would otherwise start the at-spi
# services, or warn (fatal under G_DEBUG=fatal-warnings) when they are missing.
# shellcheck disable=SC2016  # expanded by the inner shell
inner='
  set -e
  . "$1"
  shift
  duet_session_unlock_keyring
  exec "$@"
'
# UI tests set DUET_TEST_XVFB=1 (in their meson test env) to get a virtual
# screen of their own. Xvfb picks a free display number itself (-displayfd),
# so that tests running in parallel never race for one.
xvfb_pid=
xvfb_env=()
if [ "${DUET_TEST_XVFB:-0}" = 1 ]; then
  if ! command -v Xvfb >/dev/null; then
    echo "test-env.sh: Xvfb not found; run build-aux/install-deps.sh" >&2
    exit 1
  fi
  display_file=$DUET_SESSION_HOME/display
  # Made here, not by the background redirection: the loop below may read
  # it before the background shell has opened it.
  : >"$display_file"
  env "${DUET_SESSION_ENV[@]}" Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp \
    3>"$display_file" </dev/null >/dev/null 2>"$DUET_SESSION_HOME/xvfb.log" &
  xvfb_pid=$!
  display=
  for _ in $(seq 200); do
    display=$(<"$display_file")
    case $display in *[0-9]) break ;; esac
    if ! kill -0 "$xvfb_pid" 2>/dev/null; then
      break
    fi
    sleep 0.05
  done
  case $display in
    # GTK would pick a Wayland compositor of the calling session over the screen.
    *[0-9]) xvfb_env=(-u WAYLAND_DISPLAY "DISPLAY=:$display" GDK_BACKEND=x11) ;;
    *)
      echo "test-env.sh: Xvfb did not start:" >&2
      cat "$DUET_SESSION_HOME/xvfb.log" >&2
      exit 1
      ;;
  esac
fi

status=0
env -u DUET_TEST_XVFB "${xvfb_env[@]}" "${DUET_SESSION_ENV[@]}" \
  GTK_A11Y="${GTK_A11Y:-none}" \
  dbus-run-session -- bash -c "$inner" duet-test-env "$here/session-lib.sh" "$@" \
  || status=$?
exit "$status"
