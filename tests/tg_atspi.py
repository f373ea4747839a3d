# SPDX-License-Identifier: GPL-3.0-or-later
"""Driving the built app from outside, as a screen reader does: through the
accessibility bus (AT-SPI) only.

A private session bus and accessibility bus: the test re-executes itself under
dbus-run-session, then starts at-spi2-core's bus launcher on that bus, then the
app. Nothing of the developer's own session (bus, settings, keyring, files) is
touched: HOME and the XDG directories point into a temporary directory, and
GSettings uses the memory backend.
"""

import ctypes
import ctypes.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

INSIDE = "TG_ATSPI_PRIVATE_BUS"
BUS_LAUNCHER_PATHS = (
    "/usr/libexec/at-spi-bus-launcher",
    "/usr/lib/at-spi2-core/at-spi-bus-launcher",
)


def bail(message):
    print(f"Bail out! {message}", flush=True)
    sys.exit(1)


def reexec_on_private_bus():
    """Comes back into this script on a private session bus, in a private
    home: what the bus starts on demand (a keyring, portals) lives there too."""
    if os.environ.get(INSIDE):
        return
    if shutil.which("dbus-run-session") is None:
        bail("dbus-run-session not found (package dbus-daemon / dbus-bin)")
    if not os.environ.get("DISPLAY"):
        bail("no X display: run under xvfb-run, as build-aux/check does")
    tmp = tempfile.mkdtemp(prefix="tokengate-atspi-")
    env = dict(os.environ)
    env[INSIDE] = "1"
    for sub, var in (("home", "HOME"), ("data", "XDG_DATA_HOME"), ("config", "XDG_CONFIG_HOME"),
                     ("cache", "XDG_CACHE_HOME"), ("state", "XDG_STATE_HOME"),
                     ("runtime", "XDG_RUNTIME_DIR")):
        os.makedirs(os.path.join(tmp, sub), mode=0o700)
        env[var] = os.path.join(tmp, sub)
    for var in ("DBUS_SESSION_BUS_ADDRESS", "AT_SPI_BUS_ADDRESS"):
        env.pop(var, None)
    # No FUSE mount of gvfs in the private runtime directory, no portals.
    env.update({"GIO_USE_VFS": "local", "GVFS_DISABLE_FUSE": "1", "GDK_DEBUG": "no-portals"})
    try:
        status = subprocess.call(["dbus-run-session", "--", sys.executable] + sys.argv, env=env)
    finally:
        try:
            shutil.rmtree(tmp, ignore_errors=True)
        except OSError as e:
            print(f"# could not remove {tmp}: {e}", flush=True)
    sys.exit(status)


reexec_on_private_bus()

try:
    import gi
    gi.require_version("Atspi", "2.0")
    from gi.repository import Atspi, GLib  # noqa: E402
except (ImportError, ValueError) as e:
    bail(f"libatspi from Python is missing ({e}): install python3-gi and gir1.2-atspi-2.0")

# GTK type names are what an unnamed widget is read as by some tools, and
# what "GtkMenuButton" was in issue 10: never a name.
TYPE_NAME = re.compile(r"^(Gtk|Adw|Tg)[A-Z]\w*$")


class DisplayHold:
    """A connection to the X server, held for the whole session.

    An X server resets when its last client leaves, and a client that
    connects during the reset is turned away: GTK then says "cannot open
    display" and the app exits at once. Just before the app starts, the
    UI tests before this one have gone, and the bus launcher and libatspi
    each open and close a connection of their own (to set and read the
    root window's AT_SPI_BUS): each of those can leave the server with no
    client. Holding one connection from before all of them to the end
    means the server never resets under the session."""

    def __init__(self, timeout=10):
        xlib = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
        xlib.XOpenDisplay.restype = ctypes.c_void_p
        xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
        xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self.xlib = xlib
        # This connection too can meet a reset that a client before it began.
        self.display = Session.wait(lambda: xlib.XOpenDisplay(None), timeout,
                                    f"a connection to the X display {os.environ.get('DISPLAY')}")

    def close(self):
        if self.display:
            self.xlib.XCloseDisplay(self.display)
            self.display = None


class Session:
    """The accessibility bus and one run of the app."""

    def __init__(self, app, schema_dir, extra_env=None, args=()):
        self.processes = []
        self.display = DisplayHold()
        env = dict(os.environ)
        env.update({
            "GSETTINGS_BACKEND": "memory",
            "GSETTINGS_SCHEMA_DIR": schema_dir,
            "GDK_BACKEND": "x11",
            "GSK_RENDERER": "cairo",
            "no_proxy": "*",
            "LC_ALL": "C.UTF-8",
        })
        for var in ("NO_AT_BRIDGE", "GTK_A11Y"):
            env.pop(var, None)
        env["G_DEBUG"] = "fatal-criticals"
        if extra_env:
            env.update(extra_env)
        self.env = env

        launcher = next((p for p in BUS_LAUNCHER_PATHS if os.path.exists(p)), None)
        if launcher is None:
            bail("at-spi-bus-launcher not found (package at-spi2-core)")
        # Their chatter goes to stderr: stdout is the test's TAP.
        self.processes.append(subprocess.Popen([launcher, "--launch-immediately"], env=env,
                                               stdout=sys.stderr))
        self.wait(self.bus_ready, 10, "the accessibility bus")

        Atspi.init()
        self.app_process = subprocess.Popen([app] + list(args), env=env, stdout=sys.stderr)
        self.processes.append(self.app_process)
        self.app = self.wait(self.find_app, 30, "the app on the accessibility bus")

    def bus_ready(self):
        result = subprocess.run(
            ["gdbus", "call", "--session", "--dest", "org.a11y.Bus",
             "--object-path", "/org/a11y/bus", "--method", "org.a11y.Bus.GetAddress"],
            env=self.env, capture_output=True, text=True)
        return result.returncode == 0

    def find_app(self):
        if self.app_process.poll() is not None:
            raise AssertionError(f"the app exited with status {self.app_process.returncode}")
        desktop = Atspi.get_desktop(0)
        for i in range(desktop.get_child_count()):
            child = desktop.get_child_at_index(i)
            if child is not None and child.get_process_id() == self.app_process.pid:
                # Names change under us: read them from the app every time.
                child.set_cache_mask(Atspi.Cache.NONE)
                return child
        return None

    @staticmethod
    def wait(predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"waited {timeout} s for {what}")
            time.sleep(0.1)

    def close(self):
        if self.app_process.poll() is not None:
            print(f"# the app had exited, with status {self.app_process.returncode}", flush=True)
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
        self.display.close()


# --------------------------------------------------------------------------
# Reading the tree

# An object can go while it is read (a row recycled, a toast gone): it then
# reads as nothing, rather than failing the walk it was met in.

def role(obj):
    try:
        return obj.get_role()
    except GLib.Error:
        return Atspi.Role.INVALID


def name(obj):
    try:
        return obj.get_name() or ""
    except GLib.Error:
        return ""


def has_state(obj, state):
    try:
        return obj.get_state_set().contains(state)
    except GLib.Error:
        return False


def showing(obj):
    """Whether obj is on screen. GTK 4.8 sets SHOWING on windows only, and
    VISIBLE on every widget that is not hidden — the pages of a stack that
    are not shown included; those have never been given a size."""
    if not has_state(obj, Atspi.StateType.VISIBLE):
        return False
    if role(obj) in (Atspi.Role.FRAME, Atspi.Role.WINDOW, Atspi.Role.DIALOG):
        return True
    try:
        extents = obj.get_extents(Atspi.CoordType.WINDOW)
    except GLib.Error:
        return True
    return extents.width > 0 and extents.height > 0


def children(obj):
    try:
        count = obj.get_child_count()
    except GLib.Error:
        return []
    result = []
    for i in range(count):
        try:
            child = obj.get_child_at_index(i)
        except GLib.Error:
            continue
        if child is not None:
            result.append(child)
    return result


def walk(obj, only_showing=True):
    """Every descendant of obj, depth first (hidden subtrees left out)."""
    stack = [obj]
    while stack:
        node = stack.pop()
        yield node
        kids = children(node)
        if only_showing:
            kids = [k for k in kids if showing(k)]
        stack.extend(reversed(kids))


def find_all(root, predicate, only_showing=True):
    return [o for o in walk(root, only_showing) if predicate(o)]


def find(root, predicate, what, timeout=10):
    def look():
        found = find_all(root, predicate)
        return found[0] if found else None
    return Session.wait(look, timeout, what)


def by_name(root, role_, text, timeout=10):
    return find(root, lambda o: role(o) == role_ and name(o) == text,
                f"a {role_.value_nick} named “{text}”", timeout)


def text_of(obj):
    try:
        count = Atspi.Text.get_character_count(obj)
        return Atspi.Text.get_text(obj, 0, count)
    except GLib.Error:
        return ""


def windows(app):
    return [w for w in children(app) if showing(w)]


def window_titled(app, prefix, timeout=20):
    return Session.wait(
        lambda: next((w for w in windows(app) if name(w).startswith(prefix)), None),
        timeout, f"a window titled “{prefix}…”")


class FocusEvents:
    """The focus changes the app reports, as a screen reader hears of them:
    the object:state-changed:focused events that gained the focus. They wait
    on the bus until read (libatspi hands them over in the main loop)."""

    def __init__(self):
        self.gained = []
        self.listener = Atspi.EventListener.new(self._on_event)
        self.listener.register("object:state-changed:focused")

    def _on_event(self, event):
        if event.detail1 == 1:
            self.gained.append((role(event.source), name(event.source)))

    def take(self):
        """What gained the focus since the last take(), as (role, name)."""
        context = GLib.MainContext.default()
        while context.iteration(False):
            pass
        gained, self.gained = self.gained, []
        return gained

    def close(self):
        self.listener.deregister("object:state-changed:focused")


def toolkit_version(app):
    """The app's GTK version, as a tuple of numbers."""
    return tuple(int(part) for part in re.findall(r"\d+", app.get_toolkit_version())[:2])


def press(obj):
    action = obj.get_action_iface()
    if action is None:
        raise AssertionError(f"{role(obj).value_nick} “{name(obj)}” has no action")
    for i in range(action.get_n_actions()):
        if action.get_action_name(i) in ("click", "press", "activate", "toggle"):
            return action.do_action(i)
    return action.do_action(0)


# GTK 4.8 reports scrolled windows as focusable, but Tab never stops on one:
# it hands the focus to what it scrolls.
NOT_CONTROLS = (Atspi.Role.SCROLL_PANE, Atspi.Role.FRAME)


def interactive(obj):
    """What a person can operate: what takes the keyboard focus."""
    return has_state(obj, Atspi.StateType.FOCUSABLE) and role(obj) not in NOT_CONTROLS


def shows_text(obj):
    return any(role(d) == Atspi.Role.LABEL and name(d).strip() for d in walk(obj))


def unnamed_controls(window):
    """Every control of window without a meaningful name, described. A list
    item may go without a name when it shows text: a screen reader reads
    that (the items of a combo row's list)."""
    bad = []
    for obj in find_all(window, interactive):
        label = name(obj).strip()
        if not label and role(obj) == Atspi.Role.LIST_ITEM and shows_text(obj):
            continue
        if not label or TYPE_NAME.match(label) or "_" in label or said_twice(label):
            bad.append(f"{role(obj).value_nick} named “{label}”")
    return bad


def said_twice(label):
    """“Break access token Break Access Token”: two sources of one name."""
    words = label.lower().split()
    half = len(words) // 2
    return len(words) % 2 == 0 and half > 0 and words[:half] == words[half:]


# --------------------------------------------------------------------------
# Acting as a person, and on the built-in server

XK_Return, XK_space, XK_Tab = 0xff0d, 0x20, 0xff09


def key(keyval, control=False, shift=False):
    """A key press as a person makes it (XTest, through AT-SPI)."""
    mask = ((1 << int(Atspi.ModifierType.CONTROL)) if control else 0) | \
           ((1 << int(Atspi.ModifierType.SHIFT)) if shift else 0)
    if mask:
        Atspi.generate_keyboard_event(mask, None, Atspi.KeySynthType.LOCKMODIFIERS)
    Atspi.generate_keyboard_event(keyval, None, Atspi.KeySynthType.SYM)
    if mask:
        Atspi.generate_keyboard_event(mask, None, Atspi.KeySynthType.UNLOCKMODIFIERS)
    time.sleep(0.15)


def focused(window):
    found = find_all(window, lambda o: has_state(o, Atspi.StateType.FOCUSED))
    return found[-1] if found else None


def tab_to(window, role_, text, limit=60):
    """Tabs until a control named text has the focus; returns the names met."""
    met = []
    for _ in range(limit):
        obj = focused(window)
        if obj is not None:
            met.append(name(obj))
            if role(obj) == role_ and name(obj) == text:
                return met
        key(XK_Tab)
    raise AssertionError(f"Tab never reached “{text}”; met: {met}")


def server_url(home):
    for obj in walk(home):
        m = re.search(r"Built-in demo server, (http://\S+)", name(obj))
        if m:
            return m.group(1)
    raise AssertionError("no built-in server URL in the window's subtitle")


def get_stats(url):
    with urllib.request.urlopen(url + "/demo/stats", timeout=10) as answer:
        return json.load(answer)


def put_settings(url, settings):
    request = urllib.request.Request(url + "/demo/settings", data=json.dumps(settings).encode(),
                                     method="PUT", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


# --------------------------------------------------------------------------
# TAP

class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, condition, description, detail=None, todo=None):
        """todo: why condition is known not to hold yet (TAP's TODO: a
        failure that does not fail the run, and a pass that does)."""
        self.n += 1
        if todo:
            print(f"{'ok' if condition else 'not ok'} {self.n} {description} # TODO {todo}", flush=True)
            if detail and not condition:
                self.note(detail)
            return condition
        if not condition:
            self.failed += 1
            print(f"not ok {self.n} {description}", flush=True)
            if detail:
                for line in str(detail).splitlines():
                    print(f"# {line}", flush=True)
        else:
            print(f"ok {self.n} {description}", flush=True)
        return condition

    def note(self, text):
        for line in str(text).splitlines():
            print(f"# {line}", flush=True)

    def done(self):
        print(f"1..{self.n}", flush=True)
        return 1 if self.failed else 0
