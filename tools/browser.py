#!/usr/bin/python3
"""browser.py: drives Debian's headless Chromium over the DevTools protocol for the tests.

It opens one local HTML file (certsweep's HTML report, or a test page) in a fresh, throw-away
Chromium, runs the given steps in order and prints what happened as one JSON document: console
messages, uncaught exceptions, the browser's log (CSP violations and failed loads show up there),
every URL the page requested, and the result of each step. Integration tests decide from that
JSON whether the page behaved (tests/integration/test_browser.sh shows how).

usage: browser.py [options] [steps] FILE.html

  options
    --timeout SEC              the whole run, launch to exit (default 60)
    --viewport WxH             window size in CSS pixels (default 1400x1000)
    --wait-for EXPR            after the load event, poll until EXPR is truthy
    --wait-timeout SEC         how long --wait-for polls (default 10, within --timeout)
    --chromium PATH            the browser (default $CHROMIUM, else /usr/bin/chromium)
    --fail-on-console-errors   exit 3 when a console error, an exception or a log error was seen
    --only-file-requests       exit 3 when any request URL is neither file: nor data:
    --full-page                screenshots show the whole page, not just the viewport
  steps, run in the order given, after the load (and --wait-for)
    --eval EXPR                evaluate EXPR (promises awaited) and record its value
    --type SELECTOR TEXT       set the value of the first element matching SELECTOR, then
                               dispatch a bubbling 'input' event on it
    --click SELECTOR           element.click() on the first element matching SELECTOR
    --screenshot FILE.png      a PNG of the viewport (with --full-page: of the whole page,
                               its height capped at 16384 px)
    --sleep MS                 wait, still recording what the page does

  examples
    tools/browser.py --wait-for 'window.csReady === true' \
        --eval 'document.querySelectorAll("tbody tr").length' \
        --type '#filter' 'expired' \
        --eval 'document.querySelectorAll("tbody tr:not([hidden])").length' \
        --fail-on-console-errors --only-file-requests report.html
    tools/browser.py --full-page --screenshot /tmp/report.png report.html

Output (stdout, always one JSON object, also when the run failed):
    {"console":    [{"level": "log"|"error"|"warning"|..., "text": "...", "url": ..., "line": N}],
     "exceptions": [{"text": "Uncaught Error: ...", "url": ..., "line": N}],
     "log":        [{"level": "error"|"warning"|..., "source": "security"|"network"|...,
                     "text": "...", "url": ...}],
     "requests":   ["file:///...", ...],
     "results":    [{"step": "eval", "expr": "...", "type": "number", "value": 3},
                    {"step": "type", "selector": "...", "text": "..."},
                    {"step": "click", "selector": "...", "tag": "BUTTON"},
                    {"step": "screenshot", "file": "...", "bytes": N, "width": W, "height": H},
                    {"step": "sleep", "ms": N}],
     "dropped": N,          entries not recorded: each list keeps at most 10000, texts 16 KiB
     "checks": ["..."],     what --fail-on-console-errors / --only-file-requests found
     "ok": true|false, "error": null|"..."}
  Line numbers are 0-based, as the protocol gives them. An eval of undefined has no "value".

Exit status: 0 the run worked (whatever the page logged: the test decides); 1 Chromium could not
be driven or a step failed (the message on stderr and in "error"; the JSON has what was seen until
then); 2 usage error (no JSON); 3 the run worked but a --fail-on-console-errors or
--only-file-requests check failed (listed in "checks").

How: chromium --headless --no-sandbox ... --user-data-dir=TMP --remote-debugging-port=0
about:blank, with HOME and XDG_CONFIG_HOME/XDG_CACHE_HOME also inside TMP (so crash reports and
caches stay there) and --no-proxy-server (a page's loopback requests go straight to loopback).
The port comes from TMP/DevToolsActivePort, the page target from http://127.0.0.1:PORT/json/list.
Chromium runs in its own process group; at exit (normal, error, timeout, SIGTERM/SIGINT/SIGHUP)
the group is terminated, then killed, as is any leftover process whose command line names TMP
(the crash handler leaves the group), and TMP is removed. Should this script itself be killed
(SIGKILL), Chromium gets SIGKILL too (PR_SET_PDEATHSIG) and its helpers follow; only TMP stays.
Values given to --type and --click reach the page only as JSON literals (json.dumps), never
pasted into code.

Needs Debian's python3-websocket (websocket-client); when started by another python3 that lacks
it (a pyenv one), it re-executes itself with /usr/bin/python3.
"""

import argparse
import base64
import ctypes
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

DEBIAN_PYTHON = "/usr/bin/python3"
REEXEC_ENV = "CERTSWEEP_BROWSER_REEXEC"

try:
    import websocket
except ImportError:
    if (not os.environ.get(REEXEC_ENV) and os.access(DEBIAN_PYTHON, os.X_OK)
            and os.path.realpath(sys.executable) != os.path.realpath(DEBIAN_PYTHON)):
        os.environ[REEXEC_ENV] = "1"
        os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON, os.path.abspath(__file__)] + sys.argv[1:])
    print("browser: the python3 websocket module is missing (Debian's python3-websocket): "
          "run `make deps`", file=sys.stderr)
    sys.exit(1)

MAX_ENTRIES = 10000          # per recorded list
MAX_TEXT = 16384             # characters per recorded text or URL
MAX_SHOT_HEIGHT = 16384      # full-page screenshot height cap, CSS pixels
POLL = 0.05                  # seconds between polls (DevToolsActivePort, /json, --wait-for)
PR_SET_PDEATHSIG = 1         # <sys/prctl.h>
KILL_GRACE = 2.0             # seconds between SIGTERM and SIGKILL of the browser
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-proxy-server"]

# The page-side halves of --type and --click. Their arguments are appended as JSON literals.
JS_TYPE = """(function (sel, text) {
    const el = document.querySelector(sel);
    if (!el) throw new Error('no element matches ' + sel);
    if (typeof el.focus === 'function') el.focus();
    el.value = text;
    el.dispatchEvent(new Event('input', {bubbles: true}));
    return String(el.value);
})"""
JS_CLICK = """(function (sel) {
    const el = document.querySelector(sel);
    if (!el) throw new Error('no element matches ' + sel);
    el.click();
    return el.tagName;
})"""


class Failure(Exception):
    """The run could not be completed: Chromium not driven, a timeout, a step failed (exit 1)."""


class Timeout(Failure):
    pass


def clip(s):
    s = "" if s is None else str(s)
    return s if len(s) <= MAX_TEXT else s[:MAX_TEXT] + "...[truncated]"


class Deadline:
    """The global time budget: every blocking wait asks left() and stops at zero."""

    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def left(self, what="the run"):
        rest = self.end - time.monotonic()
        if rest <= 0:
            raise Timeout("timed out waiting for %s (--timeout)" % what)
        return rest


class Record:
    """What the page did: the lists of the output document, each bounded by MAX_ENTRIES."""

    def __init__(self):
        self.out = {"console": [], "exceptions": [], "log": [], "requests": [], "results": []}
        self.dropped = 0
        self.loads = 0               # Page.loadEventFired events seen
        self.foreign = []            # request URLs that are neither file: nor data: (untruncated)

    def add(self, key, entry):
        if len(self.out[key]) >= MAX_ENTRIES:
            self.dropped += 1
        else:
            self.out[key].append(entry)

    def event(self, method, p):
        if method == "Runtime.consoleAPICalled":
            parts = [remote_text(a) for a in p.get("args", [])]
            entry = {"level": p.get("type", ""), "text": clip(" ".join(parts))}
            frames = (p.get("stackTrace") or {}).get("callFrames") or []
            if frames:
                entry["url"] = clip(frames[0].get("url"))
                entry["line"] = frames[0].get("lineNumber")
            self.add("console", entry)
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            self.add("exceptions", {"text": clip(exception_text(d)), "url": clip(d.get("url")),
                                    "line": d.get("lineNumber")})
        elif method == "Log.entryAdded":
            e = p.get("entry", {})
            entry = {"level": e.get("level", ""), "source": e.get("source", ""),
                     "text": clip(e.get("text"))}
            if e.get("url"):
                entry["url"] = clip(e["url"])
            self.add("log", entry)
        elif method == "Network.requestWillBeSent":
            url = (p.get("request") or {}).get("url", "")
            if not url.startswith(("file:", "data:")) and len(self.foreign) < MAX_ENTRIES:
                self.foreign.append(url)
            self.add("requests", clip(url))
        elif method == "Page.loadEventFired":
            self.loads += 1
        elif method in ("Inspector.detached", "Inspector.targetCrashed"):
            raise Failure("the page went away (%s%s)" % (method, (": " + p["reason"])
                                                         if p.get("reason") else ""))

    def errors(self):
        """The --fail-on-console-errors findings."""
        found = []
        n = sum(1 for c in self.out["console"] if c["level"] in ("error", "assert"))
        if n:
            found.append("%d console error(s)" % n)
        if self.out["exceptions"]:
            found.append("%d uncaught exception(s)" % len(self.out["exceptions"]))
        n = sum(1 for e in self.out["log"] if e["level"] == "error")
        if n:
            found.append("%d log error(s)" % n)
        return found


def remote_text(obj):
    """A console argument (a Runtime.RemoteObject) as text."""
    if "value" in obj:
        v = obj["value"]
        return v if isinstance(v, str) else json.dumps(v)
    if "unserializableValue" in obj:
        return obj["unserializableValue"]
    return obj.get("description") or obj.get("type", "")


def exception_text(d):
    exc = d.get("exception") or {}
    desc = exc.get("description") or (str(exc["value"]) if "value" in exc else "")
    text = d.get("text", "")
    return "%s %s" % (text, desc) if desc and text else (desc or text)


class Cdp:
    """One DevTools websocket to the page target. call() sends a command and returns its
    result, handing every event that arrives meanwhile to the Record."""

    def __init__(self, url, deadline, record):
        self.deadline = deadline
        self.record = record
        self.next_id = 0
        try:
            # No Origin header: Chromium refuses websocket clients with an unlisted Origin.
            self.ws = websocket.create_connection(url, timeout=deadline.left("DevTools"),
                                                  suppress_origin=True)
        except (OSError, websocket.WebSocketException) as e:
            raise Failure("cannot connect to %s: %s" % (url, e)) from e

    def close(self):
        try:
            self.ws.close(timeout=1)
        except (OSError, websocket.WebSocketException):
            pass

    def _receive(self, limit, what):
        """One message within min(limit, the deadline); None when limit passed first."""
        rest = self.deadline.left(what)
        wait = rest if limit is None else min(rest, limit - time.monotonic())
        if wait <= 0:
            return None
        self.ws.settimeout(wait)
        try:
            raw = self.ws.recv()
        except websocket.WebSocketTimeoutException:
            if limit is not None and time.monotonic() >= limit:
                return None
            self.deadline.left(what)
            return None
        except (OSError, websocket.WebSocketException) as e:
            raise Failure("DevTools connection lost while waiting for %s: %s" % (what, e)) from e
        if not raw:
            raise Failure("DevTools connection closed while waiting for %s" % what)
        try:
            return json.loads(raw)
        except ValueError as e:
            raise Failure("DevTools sent something that is not JSON: %s" % e) from e

    def call(self, method, params=None):
        self.next_id += 1
        mid = self.next_id
        try:
            self.ws.send(json.dumps({"id": mid, "method": method, "params": params or {}}))
        except (OSError, websocket.WebSocketException) as e:
            raise Failure("DevTools send %s: %s" % (method, e)) from e
        while True:
            msg = self._receive(None, method)
            if msg is None:
                continue
            if msg.get("id") == mid:
                if "error" in msg:
                    raise Failure("%s: %s" % (method, msg["error"].get("message", msg["error"])))
                return msg.get("result", {})
            if "method" in msg:
                self.record.event(msg["method"], msg.get("params", {}))

    def pump(self, seconds, what, until=None):
        """Handles events for `seconds`, or until until() is true (checked after each one)."""
        limit = time.monotonic() + seconds
        while time.monotonic() < limit:
            if until is not None and until():
                return True
            msg = self._receive(limit, what)
            if msg is not None and "method" in msg:
                self.record.event(msg["method"], msg.get("params", {}))
        return until is not None and until()

    def evaluate(self, expr, what):
        """Runtime.evaluate by value, promises awaited; (type, value or None, error or None)."""
        res = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                             "awaitPromise": True, "userGesture": True})
        if "exceptionDetails" in res:
            return None, None, "%s threw: %s" % (what, exception_text(res["exceptionDetails"]))
        r = res.get("result", {})
        return r.get("type"), r.get("value", r.get("unserializableValue")), None


def die_with_parent():
    """In the child before exec: SIGKILL when this script dies, even by SIGKILL (Linux
    PR_SET_PDEATHSIG, kept across the wrapper's exec); Chromium's helpers then exit too."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
    except (OSError, AttributeError):
        pass


class Chromium:
    """A headless Chromium in its own process group with a throw-away profile in a temp dir.
    Owns the process and the folder; close() ends both and may be called more than once."""

    def __init__(self, binary):
        self.binary = binary
        self.proc = None
        self.tmp = None
        self.log = None

    def start(self, deadline):
        self.tmp = tempfile.mkdtemp(prefix="certsweep-browser.")
        profile = os.path.join(self.tmp, "profile")
        env = dict(os.environ, HOME=os.path.join(self.tmp, "home"),
                   XDG_CONFIG_HOME=os.path.join(self.tmp, "config"),
                   XDG_CACHE_HOME=os.path.join(self.tmp, "cache"))
        for d in (profile, env["HOME"], env["XDG_CONFIG_HOME"], env["XDG_CACHE_HOME"]):
            os.makedirs(d, exist_ok=True)
        self.log = open(os.path.join(self.tmp, "chromium.log"), "wb")
        argv = [self.binary] + CHROMIUM_FLAGS + ["--user-data-dir=" + profile,
                                                 "--remote-debugging-port=0", "about:blank"]
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=self.log,
                                         env=env, start_new_session=True,
                                         preexec_fn=die_with_parent)
        except OSError as e:
            raise Failure("cannot run %s: %s" % (self.binary, e)) from e
        portfile = os.path.join(profile, "DevToolsActivePort")
        while True:
            try:
                with open(portfile) as f:
                    first = f.readline().strip()
                if first.isdigit():
                    return int(first)
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise Failure("chromium exited with status %d before DevTools was up"
                              % self.proc.returncode)   # run() adds the log's tail
            time.sleep(min(POLL, deadline.left("DevToolsActivePort")))

    def log_tail(self, lines=8):
        """The end of Chromium's stderr, without the D-Bus noise of a machine without D-Bus."""
        try:
            with open(os.path.join(self.tmp, "chromium.log"), errors="replace") as f:
                keep = [s.rstrip() for s in f if "dbus" not in s and s.strip()]
        except OSError:
            return ""
        return ("\n  chromium: " + "\n  chromium: ".join(keep[-lines:])) if keep else ""

    def close(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self._signal_group(signal.SIGTERM)
                try:
                    self.proc.wait(KILL_GRACE)
                except subprocess.TimeoutExpired:
                    pass
            self._signal_group(signal.SIGKILL)      # what is left of the group
            try:
                self.proc.wait(KILL_GRACE)
            except subprocess.TimeoutExpired:
                pass
            self._kill_strays()
            self.proc = None
        if self.log is not None:
            self.log.close()
            self.log = None
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def _signal_group(self, sig):
        try:
            os.killpg(self.proc.pid, sig)       # the group start_new_session made
        except (ProcessLookupError, PermissionError):
            pass

    def _kill_strays(self):
        """Kills, by pid, the processes outside the group (the crash handler calls setsid)
        whose command line names our temp dir, which no other process can know."""
        needle = self.tmp.encode()
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    if needle in f.read():
                        os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass


def find_page(port, deadline):
    """The webSocketDebuggerUrl of the first page target at 127.0.0.1:port (no proxies)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    url = "http://127.0.0.1:%d/json/list" % port
    last = "no page target"
    while True:
        try:
            with opener.open(url, timeout=min(5.0, deadline.left(url))) as r:
                targets = json.loads(r.read(4 * 1024 * 1024).decode("utf-8"))
            for t in targets:
                if t.get("type") == "page" and t.get("webSocketDebuggerUrl"):
                    return t["webSocketDebuggerUrl"]
        except (OSError, ValueError, http.client.HTTPException) as e:
            last = str(e)
        try:
            time.sleep(min(POLL, deadline.left(url)))
        except Timeout as e:
            raise Timeout("%s (%s)" % (e, last)) from e


def run(args, record, deadline):
    """Launches, loads args.file and runs the steps; raises Failure when it cannot."""
    browser = Chromium(args.chromium)
    cdp = None
    try:
        port = browser.start(deadline)
        cdp = Cdp(find_page(port, deadline), deadline, record)
        for domain in ("Runtime", "Log", "Page", "Network"):
            cdp.call(domain + ".enable")
        width, height = args.viewport
        cdp.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                         "deviceScaleFactor": 1,
                                                         "mobile": False})
        url = "file://" + urllib.request.pathname2url(os.path.abspath(args.file))
        loads = record.loads
        nav = cdp.call("Page.navigate", {"url": url})
        if nav.get("errorText"):
            raise Failure("cannot load %s: %s" % (url, nav["errorText"]))
        if not cdp.pump(deadline.left("the load event"), "the load event",
                        until=lambda: record.loads > loads):
            raise Timeout("no load event for %s (--timeout)" % url)
        if args.wait_for:
            wait_for(cdp, args.wait_for, min(args.wait_timeout, deadline.left("--wait-for")))
        for i, (kind, val) in enumerate(args.steps or [], 1):
            step(cdp, record, kind, val, args, "step %d (--%s)" % (i, kind))
    except Failure as e:
        if browser.proc is not None and browser.proc.poll() is not None:
            raise Failure("%s%s" % (e, browser.log_tail())) from e      # it died: say why
        raise
    finally:
        # From here on the run is over: the cleanup (bounded by KILL_GRACE) must not be cut
        # short by the alarm backstop or a second signal.
        signal.alarm(0)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        if cdp is not None:
            cdp.close()
        browser.close()


def wait_for(cdp, expr, seconds):
    end = time.monotonic() + seconds
    last = "it stayed false"
    while True:
        _, val, err = cdp.evaluate("!!(\n%s\n)" % expr, "--wait-for")
        if err is None and val is True:
            return
        if err is not None:
            last = err
        if time.monotonic() >= end:
            raise Failure("--wait-for %s: not true after %.1f s (%s)" % (expr, seconds, last))
        cdp.pump(min(0.1, max(0.0, end - time.monotonic())), "--wait-for")


def step(cdp, record, kind, val, args, what):
    if kind == "eval":
        typ, value, err = cdp.evaluate(val, what)
        if err:
            raise Failure(err)
        res = {"step": "eval", "expr": val, "type": typ}
        if typ != "undefined":
            res["value"] = value
    elif kind == "type":
        sel, text = val
        _, _, err = cdp.evaluate("%s(%s, %s)" % (JS_TYPE, json.dumps(sel), json.dumps(text)),
                                 what)
        if err:
            raise Failure(err.splitlines()[0])      # the stack is ours, not the page's
        res = {"step": "type", "selector": sel, "text": text}
    elif kind == "click":
        _, tag, err = cdp.evaluate("%s(%s)" % (JS_CLICK, json.dumps(val)), what)
        if err:
            raise Failure(err.splitlines()[0])
        res = {"step": "click", "selector": val, "tag": tag}
    elif kind == "screenshot":
        res = screenshot(cdp, val, args.viewport, args.full_page, what)
    elif kind == "sleep":
        cdp.pump(val / 1000.0, what)
        res = {"step": "sleep", "ms": val}
    else:
        raise Failure("%s: unknown step" % what)
    record.add("results", res)


def screenshot(cdp, path, viewport, full, what):
    width, height = viewport
    params = {"format": "png"}
    if full:
        m = cdp.call("Page.getLayoutMetrics")
        size = m.get("cssContentSize") or m.get("contentSize") or {}
        width = max(width, int(size.get("width", width) + 0.999))
        height = min(MAX_SHOT_HEIGHT, max(1, int(size.get("height", height) + 0.999)))
        params.update(clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
                      captureBeyondViewport=True)
    data = base64.b64decode(cdp.call("Page.captureScreenshot", params).get("data", ""))
    if not data:
        raise Failure("%s: Chromium returned an empty screenshot" % what)
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError as e:
        raise Failure("%s: cannot write %s: %s" % (what, path, e)) from e
    return {"step": "screenshot", "file": path, "bytes": len(data), "width": width,
            "height": height}


class StepAction(argparse.Action):
    """Appends (kind, value) to namespace.steps, keeping the command line's order."""

    def __call__(self, parser, ns, values, option_string=None):
        steps = list(ns.steps or [])
        steps.append((self.dest, values))
        ns.steps = steps


def viewport(s):
    m = re.fullmatch(r"(\d{2,5})x(\d{2,5})", s)
    if not m or not all(100 <= int(v) <= 10000 for v in m.groups()):
        raise argparse.ArgumentTypeError("want WxH, each 100..10000: %r" % s)
    return int(m.group(1)), int(m.group(2))


def milliseconds(s):
    try:
        v = int(s)
    except ValueError:
        v = -1
    if not 0 <= v <= 600000:
        raise argparse.ArgumentTypeError("want 0..600000 ms: %r" % s)
    return v


def seconds(s):
    try:
        v = float(s)
    except ValueError:
        v = -1.0
    if not 0 < v <= 3600:
        raise argparse.ArgumentTypeError("want seconds in (0, 3600]: %r" % s)
    return v


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="browser.py", description="headless Chromium driver for certsweep's tests "
        "(see the header of tools/browser.py for the output format)")
    ap.add_argument("file", metavar="FILE.html")
    ap.add_argument("--timeout", type=seconds, default=60.0)
    ap.add_argument("--viewport", type=viewport, default=(1400, 1000), metavar="WxH")
    ap.add_argument("--wait-for", metavar="EXPR")
    ap.add_argument("--wait-timeout", type=seconds, default=10.0, metavar="SEC")
    ap.add_argument("--chromium", default=os.environ.get("CHROMIUM") or "/usr/bin/chromium")
    ap.add_argument("--fail-on-console-errors", action="store_true")
    ap.add_argument("--only-file-requests", action="store_true")
    ap.add_argument("--eval", dest="eval", action=StepAction, metavar="EXPR")
    ap.add_argument("--type", dest="type", action=StepAction, nargs=2,
                    metavar=("SELECTOR", "TEXT"))
    ap.add_argument("--click", dest="click", action=StepAction, metavar="SELECTOR")
    ap.add_argument("--screenshot", dest="screenshot", action=StepAction, metavar="FILE.png")
    ap.add_argument("--full-page", action="store_true")
    ap.add_argument("--sleep", dest="sleep", action=StepAction, type=milliseconds, metavar="MS")
    ap.set_defaults(steps=None)
    args = ap.parse_args(argv)
    if not os.path.isfile(args.file):
        ap.error("no such file: %s" % args.file)
    if os.sep not in args.chromium and shutil.which(args.chromium):
        args.chromium = shutil.which(args.chromium)
    return args


def main(argv):
    args = parse_args(argv)
    record = Record()
    deadline = Deadline(args.timeout)

    def stop(signum, frame):
        raise Failure("stopped by signal %d" % signum)

    def alarm(signum, frame):
        raise Timeout("timed out after %.0f s (--timeout)" % args.timeout)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, stop)
    # A backstop for a wait that ignores the deadline; the normal path never reaches it.
    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(int(args.timeout) + 5)

    error = None
    try:
        if not os.access(args.chromium, os.X_OK):
            raise Failure("chromium not found at %s: run `make deps` (Debian's chromium)"
                          % args.chromium)
        run(args, record, deadline)
    except Failure as e:
        error = str(e)
    finally:
        signal.alarm(0)

    checks = []
    if error is None:
        if args.fail_on_console_errors:
            checks += record.errors()
        if args.only_file_requests and record.foreign:
            checks.append("%d request(s) not file:/data:, first %s"
                          % (len(record.foreign), record.foreign[0]))
    doc = dict(record.out, dropped=record.dropped, checks=checks, ok=error is None, error=error)
    json.dump(doc, sys.stdout, indent=1)
    sys.stdout.write("\n")
    sys.stdout.flush()
    if error is not None:
        print("browser: %s" % error, file=sys.stderr)
        return 1
    if checks:
        print("browser: check failed: %s" % "; ".join(checks), file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
