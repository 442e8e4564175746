#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Walks a running application's accessibility tree over AT-SPI.

    a11y-walk.py PID [SECONDS]

Finds the application whose process id is PID on the accessibility bus
(waiting up to SECONDS, default 10, for it to appear), walks every showing
object of its windows, and prints one line per control a person can focus
or act on:

    control ROLE "NAME" PATH      a control with a name
    unnamed ROLE PATH             a control without one (the test fails on it)

and a last line "controls N unnamed M".  The exit status is 0 when the walk
ran (whatever it found), 2 when the application never showed up.
"""

import os
import re
import sys
import time

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi  # noqa: E402

# Roles that are controls even when a toolkit does not mark them focusable.
CONTROL_ROLES = {
    Atspi.Role.PUSH_BUTTON,
    Atspi.Role.TOGGLE_BUTTON,
    Atspi.Role.CHECK_BOX,
    Atspi.Role.RADIO_BUTTON,
    Atspi.Role.COMBO_BOX,
    Atspi.Role.ENTRY,
    Atspi.Role.PASSWORD_TEXT,
    Atspi.Role.SPIN_BUTTON,
    Atspi.Role.SLIDER,
    Atspi.Role.SWITCH if hasattr(Atspi.Role, "SWITCH") else Atspi.Role.TOGGLE_BUTTON,
    Atspi.Role.MENU_ITEM,
    Atspi.Role.LINK,
    Atspi.Role.LIST_ITEM,
    Atspi.Role.TEXT,
}

DEBUG = os.environ.get("DUET_A11Y_WALK_DEBUG") == "1"

TYPE_NAME = re.compile(r"^(Gtk|Adw|Gdk|Duet)[A-Z][A-Za-z0-9]*$")

MNEMONIC = re.compile(r"(^|\s)_\w")

# The tree is walked, not trusted: bound it.
MAX_DEPTH = 64
MAX_OBJECTS = 20000


def find_app(pid, seconds):
    deadline = time.monotonic() + seconds
    while True:
        desktop = Atspi.get_desktop(0)
        for i in range(desktop.get_child_count()):
            app = desktop.get_child_at_index(i)
            try:
                if app is not None and app.get_process_id() == pid:
                    return app
            except Exception:  # an application that went away meanwhile
                continue
        if time.monotonic() > deadline:
            return None
        time.sleep(0.2)


# Containers GTK may mark focusable (a scrolled window takes the focus to
# scroll): a screen reader announces what is inside them, not them.
CONTAINER_ROLES = {
    Atspi.Role.SCROLL_PANE,
    Atspi.Role.PANEL,
    Atspi.Role.FILLER,
    Atspi.Role.VIEWPORT,
    Atspi.Role.SEPARATOR,
}


def is_control(obj, role, states):
    if role in CONTROL_ROLES:
        return True
    if role in CONTAINER_ROLES:
        return False
    return states.contains(Atspi.StateType.FOCUSABLE)


def extents(obj):
    try:
        component = obj.get_component_iface()
        if component is None:
            return None
        rect = component.get_extents(Atspi.CoordType.WINDOW)
        return (rect.x, rect.y, rect.width, rect.height)
    except Exception:
        return None


def real_name(obj):
    """The name a person hears, or "" when there is none: GTK 4.8 falls
    back to a type name ("GtkImage") for a widget without a label."""
    name = (obj.get_name() or "").strip()
    if TYPE_NAME.match(name):
        return ""
    # GTK 4.8 builds a button's name from its raw label: "_Cancel Cancel"
    # is read out with the mnemonic mark.  That needs a label of its own.
    if MNEMONIC.search(name):
        return ""
    # A label and a labelled-by relation both set: "Start chat Start Chat"
    # is read twice.
    words = name.split()
    half = len(words) // 2
    if len(words) % 2 == 0 and half > 0 and \
            [w.lower() for w in words[:half]] == [w.lower() for w in words[half:]]:
        return ""
    return name


def describe(obj):
    try:
        return obj.get_role_name() or "?"
    except Exception:
        return "?"


def walk(app):
    found = []
    seen = 0
    stack = [(app, 0, describe(app))]
    while stack:
        obj, depth, path = stack.pop()
        seen += 1
        if seen > MAX_OBJECTS:
            print("warning: stopped after %d objects" % MAX_OBJECTS, file=sys.stderr)
            break
        try:
            role = obj.get_role()
            states = obj.get_state_set()
            count = obj.get_child_count()
        except Exception as error:
            print("warning: %s: %s" % (path, error), file=sys.stderr)
            continue

        if DEBUG:
            print("debug %s name=%r states=%s children=%d extents=%s" % (
                path, obj.get_name(), [str(s.value_nick) for s in states.get_states()], count,
                extents(obj)), file=sys.stderr)

        # Hidden widgets are out of reach.  GTK 4.8 reports no "showing"
        # state and shows every page of a stack as visible: those are
        # walked too, which is stricter, not looser.
        if obj is not app and not states.contains(Atspi.StateType.VISIBLE):
            continue

        if obj is not app and is_control(obj, role, states):
            found.append((describe(obj), real_name(obj), path))

        if depth >= MAX_DEPTH:
            continue
        for i in range(count - 1, -1, -1):
            child = obj.get_child_at_index(i)
            if child is not None:
                stack.append((child, depth + 1, "%s/%s[%d]" % (path, describe(child), i)))
    return found


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 1
    pid = int(argv[1])
    seconds = float(argv[2]) if len(argv) > 2 else 10.0

    app = find_app(pid, seconds)
    if app is None:
        print("no application with pid %d on the accessibility bus" % pid, file=sys.stderr)
        return 2

    unnamed = 0
    controls = walk(app)
    for role, name, path in controls:
        if name:
            print('control %s "%s" %s' % (role, name, path))
        else:
            unnamed += 1
            print("unnamed %s %s" % (role, path))
    print("controls %d unnamed %d" % (len(controls), unnamed))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
