#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the Orca screen reader says of the app (issue 10): the toasts, and
"Your session has ended".

Orca runs in the private session tg_atspi makes, on the app's accessibility
bus, and speaks through a speech-dispatcher of that session whose only
synthesizer is a command that writes each utterance, as it comes, to a file
(and whose sound goes to ALSA's null device: a test machine has no sound).
That file is what is checked: what reached the speech server.

usage: test-ui-orca.py BUILDDIR   (under an X server: xvfb-run, build-aux/check)
Prints TAP. Needs orca and speech-dispatcher, and what tests/test-ui-atspi.py
needs; skips when orca is missing.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tg_atspi as t  # noqa: E402  (re-executes on a private bus first)
from tg_atspi import Atspi, XK_Return, XK_Tab, focused, key, tab_to  # noqa: E402

# speech-dispatcher's generic module runs this for every utterance, with $DATA
# the text (its quotes escaped by the module).
SPEECHD_CONF = """AddModule "spoken-log" "sd_generic" "spoken-log.conf"
DefaultModule "spoken-log"
DefaultLanguage "en"
AudioOutputMethod "alsa"
AudioALSADevice "null"
"""
SPOKEN_LOG_CONF = """GenericExecuteSynth "echo \\'$DATA\\' >> {spoken}"
AddVoice "en" "MALE1" "log"
GenericLanguage "en" "en" "utf-8"
"""


class Orca:
    """One Orca, started on the session's buses, its speech read back from
    what its speech-dispatcher wrote."""

    def __init__(self, session):
        self.dir = tempfile.mkdtemp(prefix="tokengate-orca-")
        self.log = os.path.join(self.dir, "spoken.txt")
        # speech-dispatcher reads its settings from the session's private
        # XDG_CONFIG_HOME, and listens in its XDG_RUNTIME_DIR, where Orca
        # looks for it. Started here rather than by Orca on demand, so that
        # the session's end ends it too.
        config = os.path.join(session.env["XDG_CONFIG_HOME"], "speech-dispatcher")
        os.makedirs(os.path.join(config, "modules"), exist_ok=True)
        with open(os.path.join(config, "speechd.conf"), "w") as conf:
            conf.write(SPEECHD_CONF)
        with open(os.path.join(config, "modules", "spoken-log.conf"), "w") as conf:
            conf.write(SPOKEN_LOG_CONF.format(spoken=self.log))
        socket = os.path.join(session.env["XDG_RUNTIME_DIR"], "speech-dispatcher", "speechd.sock")
        session.processes.append(subprocess.Popen(
            ["speech-dispatcher", "--run-single", "--timeout", "0",
             "--communication-method", "unix_socket", "--socket-path", socket],
            env=session.env, stdout=sys.stderr, stderr=sys.stderr))
        t.Session.wait(lambda: os.path.exists(socket), 20, "speech-dispatcher")
        self.process = subprocess.Popen(["orca"], env=session.env, stdout=sys.stderr, stderr=sys.stderr)
        session.processes.append(self.process)
        self.heard = 0

    def spoken(self):
        try:
            with open(self.log, encoding="utf-8", errors="replace") as log:
                return [line.rstrip("\n") for line in log]
        except FileNotFoundError:
            return []

    def new(self):
        """What was said since the last call."""
        said = self.spoken()
        new, self.heard = said[self.heard:], len(said)
        return new

    def wait_said(self, fragment, timeout=15):
        """Whether Orca says something containing fragment within timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(fragment in line for line in self.spoken()[self.heard:]):
                return True
            time.sleep(0.2)
        return False

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def description(obj):
    try:
        return obj.get_description() or ""
    except t.GLib.Error:
        return ""


def announcer_text(home):
    """What the home window's announcer (the toasts' copy) holds now."""
    alerts = t.find_all(home, lambda o: t.role(o) == Atspi.Role.ALERT and t.name(o), only_showing=False)
    return t.name(alerts[0]) if alerts else ""


def main():
    builddir = sys.argv[1] if len(sys.argv) > 1 else "build"
    for program in ("orca", "speech-dispatcher"):
        if shutil.which(program) is None:
            print(f"1..0 # SKIP {program} is not installed (Debian package {program})", flush=True)
            return 0
    tap = t.Tap()
    session = t.Session(os.path.join(builddir, "src", "app", "tokengate"),
                        os.path.join(builddir, "data"))
    orca = Orca(session)
    try:
        run(tap, session, orca)
    except AssertionError as e:
        tap.ok(False, "the walkthrough went to its end", e)
    finally:
        tap.note("Orca said: " + " | ".join(orca.spoken()))
        session.close()
        orca.close()
    return tap.done()


def run(tap, session, orca):
    app = session.app
    if not tap.ok(orca.wait_said("Screen reader on", 60), "Orca is running and speaking"):
        return

    sign_in = t.window_titled(app, "Sign In")
    tap.ok(orca.wait_said("Sign In push button"), "Orca reads the focused Sign In button", orca.new())
    orca.new()

    key(XK_Return)
    home = t.window_titled(app, "Tokengate", timeout=30)
    t.Session.wait(lambda: t.find_all(home, lambda o: t.name(o).startswith("Home page:")), 20,
                   "the protected resource")
    orca.new()

    # A toast: Break says what it did.
    t.press(t.by_name(home, Atspi.Role.PUSH_BUTTON, "Break Access Token"))
    toast = t.Session.wait(lambda: (lambda s: s if s.startswith("Access token replaced") else None)(
        announcer_text(home)), 10, "the toast's copy for screen readers")
    lender = t.Session.wait(lambda: focused(home), 10, "the focus in the home window")
    tap.ok(orca.wait_said(toast[:40], 10), f"Orca speaks the toast “{toast}”", orca.new())
    # It lends its description for the toast (tg_accessible_announce()), and
    # keeps the focus; once the focus leaves it, it has its own back, and
    # Orca, whose focus moved on, says neither again.
    tap.ok(t.has_state(lender, Atspi.StateType.FOCUSED), "the toast leaves the focus where it was",
           t.name(lender))
    key(XK_Tab)
    t.Session.wait(lambda: toast not in description(lender) or None, 10, "the lent description back")
    time.sleep(1)
    said = orca.new()
    tap.ok(sum(toast[:40] in line for line in orca.spoken()) == 1, "Orca says the toast once", said)

    # In the count field the focus is on the text inside the spin button,
    # which GTK leaves out of the tree: the spin button says the toast.
    tab_to(home, Atspi.Role.SPIN_BUTTON, "Number of requests")
    spin = focused(home)
    own = description(spin)
    t.press(t.by_name(home, Atspi.Role.PUSH_BUTTON, "Break Access Token"))
    tap.ok(orca.wait_said(toast[:40], 10), "Orca speaks the toast with the focus in the count field",
           orca.new())
    # A second toast there: the field does not get its own description back
    # (which Orca would say) in between.
    t.press(t.by_name(home, Atspi.Role.PUSH_BUTTON, "Break Access Token"))
    spoken = orca.wait_said(toast[:40], 10)
    time.sleep(1)
    said = orca.new()
    tap.ok(spoken and not any(own and own in line for line in said),
           "a second toast there is said without the field's own description", said)
    key(XK_Tab)
    t.Session.wait(lambda: toast not in description(spin) or None, 10, "the count field's description back")

    # The session ends: the sign-in window comes back saying so.
    orca.new()
    t.press(t.by_name(home, Atspi.Role.PUSH_BUTTON, "Revoke Session on Server"))
    deadline = time.monotonic() + 30
    sign_in = None
    while sign_in is None and time.monotonic() < deadline:
        time.sleep(0.3)
        try:
            t.press(t.by_name(home, Atspi.Role.PUSH_BUTTON, "Send 3 Requests", timeout=1))
        except AssertionError:
            pass
        sign_in = next((w for w in t.windows(app) if t.name(w).startswith("Sign In")), None)
    if not tap.ok(sign_in is not None, "after a revocation the next burst ends the session"):
        return
    # Said as the description of Sign In, which takes the focus.
    tap.ok(orca.wait_said("Your session has ended"), "Orca speaks “Your session has ended”", orca.new())


if __name__ == "__main__":
    sys.exit(main())
