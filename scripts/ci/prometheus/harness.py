#!/usr/bin/env python3
"""The alert rules against a real Prometheus, Alertmanager and Pushgateway, scraping the real sample
application on the real OpenBao and PostgreSQL (started by scripts/services.sh), with faults injected.

    harness.py check    derive the test copy of the rules and configs and check them (no processes)
    harness.py up       start Prometheus, Alertmanager and Pushgateway on loopback with the shipped
                        rules and thresholds (to look around by hand); `down` stops them
    harness.py run      the whole test: two sample apps, the faults, alerts pending/firing/resolved
                        over Prometheus' HTTP API, notifications through Alertmanager, and every
                        PromQL expression of the Grafana dashboard
    harness.py down | status

Only the standard library. Processes it starts are recorded by pid in the state directory and
stopped by that pid. Prints one line per alert transition and, at the end, one `ALERT` line per alert
episode proven against a fault: the times to pending and firing after the fault, to resolved after the
recovery, and of Alertmanager's firing and resolved notifications, from this script's own clock.
"""

import argparse
import datetime
import http.server
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
MONITORING = REPO / "docs" / "monitoring"
STATE = Path(os.environ.get("VDS_STATE_DIR", REPO / ".vds")) / "prometheus"
BASE_PORT = int(os.environ.get("VDS_PROM_PORT_BASE", "29090"))
PORTS = {
    "prometheus": BASE_PORT,
    "pushgateway": BASE_PORT + 1,
    "alertmanager": BASE_PORT + 3,
    "webhook": BASE_PORT + 4,
    "app-a": BASE_PORT + 5,
    "app-b": BASE_PORT + 6,
}
PUSH_JOB = "vault-datasource-shutdown"

# The test copy of the shipped rules: the same expressions with shorter windows, `for` durations and
# thresholds, because the test's leases last 8 s (24 s max) instead of an hour and Prometheus scrapes
# every second instead of every 15 s. Per alert: (shipped text, test text). Nothing else may differ:
# check_same_structure() compares both files with every number and duration blanked out.
TEST_THRESHOLDS = {
    "VaultLeaseExpiryNear": [("< 300", "< 6"), ("for: 1m", "for: 2s")],
    "VaultLeaseExpired": [("for: 30s", "for: 2s")],
    # With 8 s leases renewal gives way to rotation within a second (the drain budget is 0.4 of the
    # TTL), so a Vault outage costs one or two failed renewals, not the dozen of an hour-long lease.
    "VaultLeaseRenewalsFailing": [("[10m]", "[30s]"), ("offset 10m", "offset 30s"), ("> 3", "> 0")],
    "VaultLeaseRotationsFailing": [("[15m]", "[30s]"), ("offset 15m", "offset 30s")],
    "VaultLeaseRevocationFailed": [("[15m]", "[30s]"), ("offset 15m", "offset 30s")],
    # The 24 h bound when the final push carries no TTL, scaled like the windows.
    "VaultLeasesUnrevokedAtShutdown": [("* 0 + 86400", "* 0 + 30")],
    "VaultCredentialIssueRateHigh": [
        ("[30m]", "[30s]"),
        ("2 * 1800", "2 * 30"),
        ("clamp_min(vault_datasource_lease_ttl_seconds, 60)", "clamp_min(vault_datasource_lease_ttl_seconds, 1)"),
        ("for: 5m", "for: 3s"),
    ],
    "VaultTokenExpiring": [("for: 15s", "for: 2s")],
}

# The documented configurations, with only addresses and intervals changed. Each (old, new) must
# occur exactly once.
PROMETHEUS_CONFIG_CHANGES = [
    ("scrape_interval: 15s", "scrape_interval: 1s"),
    ("evaluation_interval: 15s", "evaluation_interval: 1s"),
    ("- prometheus-alerts.yml", "- {rules}"),
    ("- targets: ['127.0.0.1:9093']", "- targets: ['127.0.0.1:{alertmanager}']"),
    ("- targets: ['127.0.0.1:8080']", "- targets: ['127.0.0.1:{app-a}', '127.0.0.1:{app-b}']"),
    ("- targets: ['127.0.0.1:9091']", "- targets: ['127.0.0.1:{pushgateway}']"),
]
ALERTMANAGER_CONFIG_CHANGES = [
    ("url: http://127.0.0.1:5001/alerts", "url: http://127.0.0.1:{webhook}/alerts"),
    ("group_wait: 30s", "group_wait: 1s"),
    ("group_interval: 5m", "group_interval: 1s"),
    ("repeat_interval: 4h", "repeat_interval: 1h"),
]

LEASE_TTL, LEASE_MAX_TTL = "8s", "24s"
TOKEN_TTL = "12s"

T0 = time.monotonic()


def log(message):
    print(f"[prometheus {time.monotonic() - T0:6.1f}s] {message}", flush=True)


class Failure(Exception):
    pass


class Skipped(Exception):
    """A scenario whose metrics the application does not export yet."""


# --- deriving the test copies -------------------------------------------------------------------


def alert_blocks(text):
    """Split a rules file into its preamble and one block per alert (from its comments on)."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if re.match(r"\s*- alert: ", line)]
    blocks = []
    for n, start in enumerate(starts):
        begin = start
        while begin > 0 and lines[begin - 1].strip().startswith("#"):
            begin -= 1
        blocks.append(begin)
    out = [("", "".join(lines[: blocks[0]]))]
    for n, begin in enumerate(blocks):
        end = blocks[n + 1] if n + 1 < len(blocks) else len(lines)
        name = re.search(r"- alert: (\S+)", "".join(lines[begin:end])).group(1)
        out.append((name, "".join(lines[begin:end])))
    return out


def derive_rules(shipped):
    blocks = alert_blocks(shipped)
    names = [name for name, _ in blocks[1:]]
    if sorted(names) != sorted(TEST_THRESHOLDS):
        raise Failure(f"the shipped alerts {names} differ from the test's table {sorted(TEST_THRESHOLDS)}")
    out = [blocks[0][1]]
    for name, block in blocks[1:]:
        for old, new in TEST_THRESHOLDS[name]:
            if old not in block:
                raise Failure(f"{name}: '{old}' not found in the shipped rule; update TEST_THRESHOLDS")
            block = block.replace(old, new)
        out.append(block)
    derived = "".join(out)
    check_same_structure(shipped, derived)
    return derived


def blank_numbers(text):
    text = re.sub(r"#[^\n]*", "", text)
    return re.sub(r"\b\d+(\.\d+)?(ms|s|m|h|d)?\b", "N", text)


def check_same_structure(shipped, derived):
    if blank_numbers(shipped) != blank_numbers(derived):
        raise Failure("the test copy of the rules differs from the shipped rules in more than numbers")


def apply_changes(text, changes, what):
    for old, new in changes:
        count = text.count(old)
        if count != 1:
            raise Failure(f"{what}: expected '{old}' once, found it {count} times")
        text = text.replace(old, new.format(**PORTS, rules=STATE / "prometheus-alerts-test.yml"))
    return text


def write_configs(shipped_thresholds=False):
    STATE.mkdir(parents=True, exist_ok=True)
    shipped = (MONITORING / "prometheus-alerts.yml").read_text()
    rules = shipped if shipped_thresholds else derive_rules(shipped)
    (STATE / "prometheus-alerts-test.yml").write_text(rules)
    prometheus = (MONITORING / "prometheus.yml").read_text()
    (STATE / "prometheus.yml").write_text(apply_changes(prometheus, PROMETHEUS_CONFIG_CHANGES, "prometheus.yml"))
    alertmanager = (MONITORING / "alertmanager.yml").read_text()
    (STATE / "alertmanager.yml").write_text(
        apply_changes(alertmanager, ALERTMANAGER_CONFIG_CHANGES, "alertmanager.yml"))


def run_checked(*args):
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        raise Failure(f"{' '.join(map(str, args))} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def cmd_check(_args=None):
    write_configs()
    run_checked("promtool", "check", "rules", STATE / "prometheus-alerts-test.yml")
    run_checked("promtool", "check", "config", STATE / "prometheus.yml")
    run_checked("amtool", "check-config", STATE / "alertmanager.yml")
    dashboard_queries()
    log("test copy of the rules (same expressions, shorter windows and thresholds) and configs check out:")
    for name, changes in TEST_THRESHOLDS.items():
        log(f"  {name:32} " + ("; ".join(f"{old} -> {new}" for old, new in changes) or "unchanged"))


# --- HTTP helpers --------------------------------------------------------------------------------


def fetch(method, url, body=None, headers=None, timeout=10):
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if isinstance(body, (dict, list)):
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as ex:
        return ex.code, ex.read().decode()
    except (urllib.error.URLError, OSError) as ex:
        return 0, str(ex)


class Vault:
    def __init__(self):
        self.address = os.environ["VAULT_ADDR"]
        self.token = os.environ["VAULT_TOKEN"]

    def call(self, method, path, body=None, ok=(200, 204)):
        status, text = fetch(method, f"{self.address}/v1/{path}", body, {"X-Vault-Token": self.token})
        if status not in ok:
            raise Failure(f"Vault {method} {path}: HTTP {status} {text[:300]}")
        return json.loads(text) if text.strip() else {}


class Prometheus:
    def __init__(self):
        self.url = f"http://127.0.0.1:{PORTS['prometheus']}"

    def api(self, path, params=None):
        url = f"{self.url}/api/v1/{path}" + ("?" + urllib.parse.urlencode(params, doseq=True) if params else "")
        status, text = fetch("GET", url)
        if status != 200:
            raise Failure(f"Prometheus {path} {params}: HTTP {status} {text[:300]}")
        answer = json.loads(text)
        if answer.get("status") != "success":
            raise Failure(f"Prometheus {path} {params}: {answer}")
        return answer["data"]

    def query(self, expr):
        return self.api("query", {"query": expr})["result"]

    def alerts(self):
        return self.api("alerts")["alerts"]


# --- processes -----------------------------------------------------------------------------------


def pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


class Process:
    """A process started in its own session, recorded in STATE/<name>.pid, stopped by that pid."""

    def __init__(self, name, argv, env=None):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.env = env
        self.log = STATE / f"{name}.log"
        self.pidfile = STATE / f"{name}.pid"
        self.proc = None

    def start(self):
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True, env=self.env)
        self.pidfile.write_text(str(self.proc.pid))
        self.started = time.monotonic()
        return self

    @property
    def pid(self):
        return self.proc.pid

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=30):
        """SIGTERM, wait for a clean exit (a Spring app revokes its lease then), SIGKILL if it hangs."""
        if self.running():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log(f"{self.name} did not stop within {timeout}s; killing it")
                self.proc.kill()
                self.proc.wait()
        self.pidfile.unlink(missing_ok=True)


def stop_recorded(name, comm):
    """Stop a process an earlier `up` recorded (this invocation did not start it)."""
    pidfile = STATE / f"{name}.pid"
    if not pidfile.exists():
        return
    pid = int(pidfile.read_text().strip() or 0)
    try:
        ours = pid_alive(pid) and Path(f"/proc/{pid}/comm").read_text().strip().startswith(comm[:15])
    except OSError:
        ours = False
    if ours:
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not pid_alive(pid):
                break
            time.sleep(0.1)
        log(f"stopped {name} (pid {pid})")
    pidfile.unlink(missing_ok=True)


def port_free(port):
    """Whether a server could listen on 127.0.0.1:port now. The machine's ephemeral port range
    (32768-60999) includes our ports, so an outgoing connection may hold one for a while."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def wait_port_free(name, port):
    wait_for(f"port {port} ({name}) to be free; an outgoing connection may be using it", lambda: port_free(port), 60)


def wait_for(what, condition, timeout, interval=0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failure(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


MONITORING_PROCESSES = [
    ("pushgateway", "prometheus-pushgateway"),
    ("alertmanager", "prometheus-alertmanager"),
    ("prometheus", "prometheus"),
]


def start_monitoring():
    for name, _ in MONITORING_PROCESSES:
        if (STATE / f"{name}.pid").exists():
            stop_recorded(name, dict(MONITORING_PROCESSES)[name])
    for name in ("tsdb", "alertmanager-data"):
        if (STATE / name).exists():
            subprocess.run(["rm", "-rf", "--", str(STATE / name)], check=True)
    processes = [
        Process("pushgateway", ["prometheus-pushgateway", f"--web.listen-address=127.0.0.1:{PORTS['pushgateway']}"]),
        Process("alertmanager", ["prometheus-alertmanager", f"--config.file={STATE / 'alertmanager.yml'}",
                                 f"--storage.path={STATE / 'alertmanager-data'}",
                                 f"--web.listen-address=127.0.0.1:{PORTS['alertmanager']}",
                                 "--cluster.listen-address="]),
        Process("prometheus", ["prometheus", f"--config.file={STATE / 'prometheus.yml'}",
                               f"--storage.tsdb.path={STATE / 'tsdb'}",
                               f"--web.listen-address=127.0.0.1:{PORTS['prometheus']}",
                               "--storage.tsdb.retention.time=1d"]),
    ]
    for process in processes:
        port = PORTS[process.name]
        for attempt in range(1, 4):
            wait_port_free(process.name, port)
            process.start()
            wait_for(f"{process.name} on port {port}",
                     lambda: fetch("GET", f"http://127.0.0.1:{port}/-/ready")[0] == 200 or not process.running(), 30)
            if process.running():
                break
            # Lost the port to an outgoing connection between the check and the bind: try again.
            if "address already in use" not in process.log.read_text() or attempt == 3:
                raise Failure(f"{process.name} exited; see {process.log}")
            log(f"{process.name}: port {port} taken at start; retrying")
    log(f"Prometheus :{PORTS['prometheus']}, Alertmanager :{PORTS['alertmanager']}, "
        f"Pushgateway :{PORTS['pushgateway']} up")
    return processes


def fail_now(message):
    raise Failure(message)


def cmd_up(_args):
    write_configs(shipped_thresholds=True)
    start_monitoring()
    log(f"running with the shipped rules; state in {STATE}; stop with: scripts/ci/prometheus.sh down")


def cmd_down(_args):
    for name, comm in MONITORING_PROCESSES:
        stop_recorded(name, comm)


def cmd_status(_args):
    rc = 0
    for name, _ in MONITORING_PROCESSES:
        pidfile = STATE / f"{name}.pid"
        pid = int(pidfile.read_text()) if pidfile.exists() else 0
        alive = pid and pid_alive(pid)
        print(f"{name:13} {'running' if alive else 'stopped'}  port {PORTS[name]}" + (f" pid {pid}" if alive else ""))
        rc |= 0 if alive else 1
    return rc


# --- Grafana dashboard ---------------------------------------------------------------------------


def dashboard_queries():
    """Every PromQL expression of the dashboard, with Grafana's variables filled in the way Grafana
    would for 'All' on a Prometheus scraping every second."""
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    exprs = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            exprs.append((panel["title"], target["expr"]))
    variables = []
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            match = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", variable["query"])
            if not match:
                raise Failure(f"dashboard variable {variable['name']}: unexpected query {variable['query']}")
            variables.append((variable["name"], match.group(1), match.group(2)))
    return exprs, variables


def grafana_to_promql(expr):
    expr = expr.replace("$__rate_interval", "5s").replace("$__interval", "1s")
    return re.sub(r"\$\{?(\w+)\}?", ".*", expr)


def check_dashboard(prometheus, allow_empty=False):
    exprs, variables = dashboard_queries()
    empty = []
    for title, expr in exprs:
        result = prometheus.query(grafana_to_promql(expr))
        if not result:
            empty.append(title)
        log(f"dashboard '{title}': {len(result)} series")
    for name, match, label in variables:
        values = prometheus.api(f"label/{label}/values", {"match[]": match})
        log(f"dashboard variable ${name}: {values}")
        if not values:
            empty.append(f"${name}")
    if empty and not allow_empty:
        raise Failure(f"dashboard queries returned no data: {empty}")
    log(f"all {len(exprs)} dashboard expressions and {len(variables)} variables ran without error"
        + (f"; without data (their metrics are missing, see SKIPPED): {empty}" if empty else ", all with data"))


# --- alert tracking ------------------------------------------------------------------------------


class AlertTracker(threading.Thread):
    """Polls Prometheus' /api/v1/alerts twice a second and records, per alert and label set, when it
    was first seen pending, first firing, and when it was gone again."""

    def __init__(self, prometheus):
        super().__init__(daemon=True)
        self.prometheus = prometheus
        self.lock = threading.Lock()
        self.history = {}  # key -> list of [pending_at, firing_at, resolved_at]
        self.current = {}  # key -> state
        self.stopped = False
        self.error = None

    @staticmethod
    def key(alert):
        labels = alert["labels"]
        return (labels["alertname"], labels.get("instance", ""), labels.get("datasource", ""),
                labels.get("trigger", labels.get("reason", "")))

    def run(self):
        while not self.stopped:
            try:
                alerts = self.prometheus.alerts()
            except Failure as ex:
                self.error = ex
                time.sleep(0.5)
                continue
            now = time.monotonic()
            LOAD.sample()
            seen = {}
            for alert in alerts:
                seen[self.key(alert)] = alert["state"]
            with self.lock:
                for key, state in seen.items():
                    before = self.current.get(key)
                    episodes = self.history.setdefault(key, [])
                    if before is None:
                        episodes.append([now, None, None])
                        log(f"alert {key[0]} {self.describe(key)}: {state}")
                    if state == "firing" and episodes[-1][1] is None:
                        episodes[-1][1] = now
                        if before is not None:
                            log(f"alert {key[0]} {self.describe(key)}: firing")
                for key in list(self.current):
                    if key not in seen:
                        self.history[key][-1][2] = now
                        log(f"alert {key[0]} {self.describe(key)}: resolved")
                self.current = seen
            time.sleep(0.5)

    @staticmethod
    def describe(key):
        return "{" + ", ".join(part for part in key[1:] if part) + "}"

    def matching(self, alertname, instance=None, extra=None):
        with self.lock:
            return {key: episodes for key, episodes in self.history.items()
                    if key[0] == alertname and (instance is None or key[1] == instance)
                    and (extra is None or key[3] == extra)}

    def state(self, alertname, instance=None, extra=None):
        with self.lock:
            states = [state for key, state in self.current.items() if key[0] == alertname
                      and (instance is None or key[1] == instance) and (extra is None or key[3] == extra)]
        return "firing" if "firing" in states else ("pending" if states else None)

    def any_for(self, instance):
        with self.lock:
            return sorted({key[0] for key in self.current if key[1] == instance})


# --- Alertmanager webhook --------------------------------------------------------------------------


class Webhook(http.server.ThreadingHTTPServer):
    def __init__(self):
        self.notifications = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.notifications.append((time.monotonic(), json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", PORTS["webhook"]), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def received(self, alertname, status, instance=None, since=None):
        """The time the first notification at or after `since` carrying the alert in that status
        arrived, or None."""
        for at, notification in list(self.notifications):
            if since is not None and at < since:
                continue
            for alert in notification.get("alerts", []):
                if (alert["labels"].get("alertname") == alertname and alert["status"] == status
                        and (instance is None or alert["labels"].get("instance") == instance)):
                    return at
        return None


# --- the sample applications ---------------------------------------------------------------------


def sample_jar():
    if os.environ.get("VDS_PROM_SAMPLE_JAR"):
        return Path(os.environ["VDS_PROM_SAMPLE_JAR"])
    jars = sorted((REPO / "sample-app" / "target").glob("vault-datasource-sample-app-*.jar"))
    jars = [jar for jar in jars if not jar.name.endswith(("-sources.jar", "-tests.jar"))]
    if not jars:
        raise Failure("no sample-app jar; build it: mvn -B -ntp package -DskipTests -pl sample-app -am")
    return jars[-1]


class App:
    def __init__(self, name, args):
        self.name = name
        self.port = PORTS[name]
        self.instance = f"127.0.0.1:{self.port}"
        argv = ["java", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", sample_jar(),
                f"-Dloader.path={os.environ['VDS_PROM_LIB']}",
                "org.springframework.boot.loader.launch.PropertiesLauncher",
                f"--server.port={self.port}",
                f"--vault.uri={os.environ['VAULT_ADDR']}",
                "--vault.read-timeout=3s", "--vault.connection-timeout=1s",
                # retries scaled to the 8 s leases, as the rule windows are (the default is 30 s)
                "--vault.lease.retry-max-delay=1s",
                "--management.prometheus.metrics.export.pushgateway.enabled=true",
                f"--management.prometheus.metrics.export.pushgateway.address=127.0.0.1:{PORTS['pushgateway']}",
                f"--management.prometheus.metrics.export.pushgateway.job={PUSH_JOB}",
                f"--management.prometheus.metrics.export.pushgateway.grouping-key.instance={name}",
                "--management.prometheus.metrics.export.pushgateway.push-rate=1d",
                "--management.prometheus.metrics.export.pushgateway.shutdown-operation=put",
                *args]
        self.process = Process(name, argv)

    def start(self):
        wait_port_free(self.name, self.port)
        self.process.start()
        log(f"{self.name}: started (pid {self.process.pid}, port {self.port}, log {self.process.log})")
        return self

    def metrics(self):
        status, text = fetch("GET", f"http://{self.instance}/actuator/prometheus", timeout=5)
        return text if status == 200 else None

    def wait_ready(self, timeout=240):
        wait_for(f"{self.name} to serve /actuator/prometheus",
                 lambda: self.metrics() or (not self.process.running() and fail_now(
                     f"{self.name} exited during startup; see {self.process.log}")), timeout, 1)
        self.ready = time.monotonic()
        log(f"{self.name}: ready after {self.ready - self.process.started:.0f}s")

    def sample(self, name, **labels):
        """The sum of the series of the app's own /actuator/prometheus that match, or None."""
        text = self.metrics() or ""
        values = []
        for line in text.splitlines():
            match = re.match(r"(\w+)(\{[^}]*\})? (\S+)$", line)
            if not match or match.group(1) != name:
                continue
            found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
            if all(found.get(k) == v for k, v in labels.items()):
                values.append(float(match.group(3)))
        return sum(values) if values else None

    def first_log_time(self, pattern):
        """The monotonic time of the first log line matching pattern (Boot logs UTC ISO timestamps)."""
        for line in self.process.log.read_text(errors="replace").splitlines():
            if re.search(pattern, line):
                match = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z", line)
                if match:
                    wall = datetime.datetime.fromisoformat(match.group(1)).replace(
                        tzinfo=datetime.timezone.utc).timestamp()
                    return time.monotonic() - (time.time() - wall)
        return None

    def next_action(self):
        status, text = fetch("GET", f"http://{self.instance}/actuator/vaultleases/dataSource", timeout=5)
        return json.loads(text).get("nextAction") if status == 200 else None

    def has_metric(self, name):
        return re.search(rf"^{name}[{{ ]", self.metrics() or "", re.M) is not None


# --- the run -------------------------------------------------------------------------------------


class Run:
    def __init__(self):
        self.vault = Vault()
        self.prometheus = Prometheus()
        self.results = []  # Result per alert episode proven against a fault
        self.skipped = []
        self.bao_pid = int(os.environ["VDS_BAO_PID"])
        self.webhook = None
        self.missing_db = "appdb_missing"

    # Vault set-up: a database role per app, a policy and an AppRole for app-a.

    def vault_setup(self):
        for role in ("prom-a", "prom-b"):
            subprocess.run([str(REPO / "scripts" / "services.sh"), "role", role, LEASE_TTL, LEASE_MAX_TTL,
                            "owner-session"], check=True, capture_output=True)
        self.set_policy(revoke=True)
        auth = self.vault.call("GET", "sys/auth")
        if "approle/" not in auth.get("data", auth):
            self.vault.call("POST", "sys/auth/approle", {"type": "approle"})
        self.vault.call("POST", "auth/approle/role/prom-a",
                        {"token_policies": "prom-a", "token_ttl": TOKEN_TTL, "token_max_ttl": "30m"})
        role_id = self.vault.call("GET", "auth/approle/role/prom-a/role-id")["data"]["role_id"]
        secret_id = self.vault.call("POST", "auth/approle/role/prom-a/secret-id")["data"]["secret_id"]
        return role_id, secret_id

    def set_policy(self, revoke):
        policy = ('path "database/creds/prom-a" { capabilities = ["read"] }\n'
                  'path "sys/leases/renew" { capabilities = ["update"] }\n')
        if revoke:
            policy += 'path "sys/leases/revoke" { capabilities = ["update"] }\n'
        self.vault.call("PUT", "sys/policies/acl/prom-a", {"policy": policy})

    def psql(self, sql):
        env = dict(os.environ, PGPASSWORD=os.environ["VDS_PG_ADMIN_PASSWORD"])
        subprocess.run([f"{os.environ['VDS_PG_BIN']}/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                        "-p", os.environ["VDS_PG_PORT"], "-U", os.environ["VDS_PG_ADMIN_USER"], "-d", "postgres",
                        "-c", sql], check=True, env=env, capture_output=True)

    def require(self, app, metric, label=None):
        """Skip the scenario when the application does not export what its alert reads."""
        text = app.metrics() or ""
        pattern = rf"^{metric}\{{[^}}]*\b{label}=" if label else rf"^{metric}[{{ ]"
        if not re.search(pattern, text, re.M):
            similar = sorted(set(re.findall(rf"^({metric}\w*)", text, re.M)) - {metric})
            raise Skipped(f"{app.name} exports no {metric}" + (f" with a '{label}' label" if label else "")
                          + (f" (but {', '.join(similar)}: Micrometer appends a base unit the meter name does "
                             f"not end with)" if similar else ""))

    def record(self, alert, instance, fault, injected, episode, recovered):
        """One alert episode: the monotonic times of the fault, of the alert first seen pending,
        firing and gone, and of the recovery (all this script's own clock)."""
        pending, firing, resolved = episode
        self.results.append(Result(alert, instance, fault, injected, pending, firing, recovered, resolved))

    def expect_firing(self, tracker, alert, instance, fault, injected, timeout, extra=None):
        wait_for(f"{alert} firing for {instance}", lambda: tracker.state(alert, instance, extra) == "firing",
                 timeout, 0.25)
        episodes = next(iter(tracker.matching(alert, instance, extra).values()))
        return episodes[-1]

    def expect_notified(self, alert, instance):
        """Keep the fault until Alertmanager has delivered the alert: one that resolves within
        Alertmanager's group_wait is never notified as firing."""
        wait_for(f"Alertmanager to notify {alert} firing for {instance}",
                 lambda: self.webhook.received(alert, "firing", instance), 30, 0.25)

    def expect_resolved(self, tracker, alert, instance, timeout, extra=None):
        wait_for(f"{alert} resolved for {instance}", lambda: tracker.state(alert, instance, extra) is None,
                 timeout, 0.25)

    def expect_quiet(self, tracker, instance, seconds, why):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            active = tracker.any_for(instance)
            if active:
                raise Failure(f"{instance} should be quiet ({why}) but has {active}")
            time.sleep(0.5)
        log(f"{instance}: no alert pending or firing for {seconds:.0f}s ({why})")

    def main(self):
        write_configs()
        one, five, fifteen = os.getloadavg()
        log(f"load average at the start: {one:.2f} {five:.2f} {fifteen:.2f}; {os.cpu_count()} CPUs")
        processes = []
        apps = []
        wait_port_free("webhook", PORTS["webhook"])
        webhook = self.webhook = Webhook()
        try:
            processes = start_monitoring()
            tracker = AlertTracker(self.prometheus)
            tracker.start()
            role_id, secret_id = self.vault_setup()
            self.psql(f"DROP DATABASE IF EXISTS {self.missing_db} WITH (FORCE)")
            jdbc = os.environ["VDS_JDBC_URL"]
            app_a = App("app-a", ["--vault.authentication=approle", f"--vault.app-role.role-id={role_id}",
                                  f"--vault.app-role.secret-id={secret_id}", "--vault.database.role=prom-a",
                                  f"--spring.datasource.url={jdbc}",
                                  "--sample.traffic.enabled=true", "--sample.traffic.threads=1"]).start()
            # app-b: the database name in its URL does not exist; without Flyway, the start-up query and
            # the start-up validation it starts anyway (as many applications do) and only meets the
            # database when it validates new credentials.
            app_b = App("app-b", [f"--vault.token={os.environ['VAULT_TOKEN']}", "--vault.database.role=prom-b",
                                  f"--spring.datasource.url={jdbc.rsplit('/', 1)[0]}/{self.missing_db}",
                                  "--spring.flyway.enabled=false", "--sample.report-database-user=false",
                                  "--vault.database.validate-on-startup=false"]).start()
            apps = [app_a, app_b]
            app_a.wait_ready()
            app_b.wait_ready()
            wait_for("Prometheus to scrape both apps",
                     lambda: len(self.prometheus.query('up{job="vault-datasource"} == 1')) == 2, 30)

            errors = []
            b_thread = threading.Thread(target=self.guard(errors, self.scenario_wrong_url, tracker, app_b))
            b_thread.start()
            self.guard(errors, self.scenario_quiet_and_revocation, tracker, app_a)()
            b_thread.join()
            if not errors:
                self.guard(errors, self.scenario_vault_paused, tracker, app_a)()
            if errors:
                raise errors[0]
            # While both apps still run (their series go stale once they stop), after the faults
            # (failure counters have data).
            check_dashboard(self.prometheus, allow_empty=bool(self.skipped))
            self.guard(errors, self.scenario_shutdown, tracker, app_a, app_b)()
            if errors:
                raise errors[0]
            self.check_notifications(webhook)
        finally:
            os.kill(self.bao_pid, signal.SIGCONT)
            for app in apps:
                app.process.stop()
            for process in reversed(processes):
                process.stop()
            webhook.shutdown()
            try:
                self.set_policy(revoke=True)
                self.psql(f"DROP DATABASE IF EXISTS {self.missing_db} WITH (FORCE)")
            except Exception as ex:  # cleanup must not hide the real failure
                log(f"cleanup: {ex}")
        self.summary()

    def guard(self, errors, scenario, *args):
        def run():
            try:
                scenario(*args)
            except Skipped as ex:
                log(f"SKIPPED {scenario.__name__}: {ex}")
                self.skipped.append((scenario.__name__, str(ex)))
            except BaseException as ex:
                errors.append(ex)
        return run

    # Scenarios -------------------------------------------------------------------------------

    def scenario_wrong_url(self, tracker, app):
        """app-b's URL names a database that does not exist: every rotation issues a user, fails to
        validate it, revokes it and tries again."""
        rotations = self.expect_firing(tracker, "VaultLeaseRotationsFailing", app.instance, "wrong database URL",
                                       app.process.started, 90)
        # The fault takes effect at the first refused validation, which on a slow start happens before
        # the app answers HTTP (so before Prometheus can scrape it): take its time from the app's log.
        injected = app.first_log_time(r"VALIDATION failed for data source") or app.process.started
        self.require(app, "vault_datasource_credentials_issued_total")
        self.require(app, "vault_datasource_lease_ttl_seconds")
        episode = self.expect_firing(tracker, "VaultCredentialIssueRateHigh", app.instance,
                                     "wrong database URL", injected, 90)
        self.expect_notified("VaultCredentialIssueRateHigh", app.instance)
        self.expect_notified("VaultLeaseRotationsFailing", app.instance)
        issued = app.sample("vault_datasource_credentials_issued_total", datasource="dataSource")
        log(f"app-b: {issued} credentials issued so far; creating database {self.missing_db}")
        self.psql(f"CREATE DATABASE {self.missing_db}")
        recovered = time.monotonic()
        self.expect_resolved(tracker, "VaultCredentialIssueRateHigh", app.instance, 90)
        self.expect_resolved(tracker, "VaultLeaseRotationsFailing", app.instance, 90)
        self.record("VaultCredentialIssueRateHigh", app.instance, "wrong database URL (first refused validation)",
                    injected, episode, recovered)
        self.record("VaultLeaseRotationsFailing", app.instance, "wrong database URL (first refused validation)",
                    injected, rotations, recovered)
        if tracker.matching("VaultLeaseRevocationFailed", app.instance):
            raise Failure("app-b: the rejected users were revoked, yet VaultLeaseRevocationFailed fired")

    def scenario_quiet_and_revocation(self, tracker, app):
        # Healthy: renewals, rotations at max_ttl, token renewals; longer than every test window.
        rotations = app.sample("vault_datasource_lease_rotations_total", outcome="success") or 0
        self.expect_quiet(tracker, app.instance, 40, "healthy: renewing, rotating, renewing its token")
        rotated = (app.sample("vault_datasource_lease_rotations_total", outcome="success") or 0) - rotations
        # A renewed token's time left jumps up: count the jumps of the negated gauge as resets.
        token_renewals = self.prometheus.query(
            f'resets((-vault_datasource_token_remaining_seconds{{instance="{app.instance}"}})[40s:1s])')
        renewed = float(token_renewals[0]["value"][1]) if token_renewals else 0
        log(f"app-a: {rotated:.0f} rotation(s) and {renewed:.0f} token renewal(s) in the quiet window")
        if rotated < 1 or renewed < 1:
            raise Failure("app-a: the quiet window saw no rotation or no token renewal; it proves nothing")
        self.require(app, "vault_datasource_lease_revocations_total", "outcome")
        self.require(app, "vault_datasource_leases_unrevoked")
        log("app-a: removing sys/leases/revoke from its policy")
        self.set_policy(revoke=False)
        injected = time.monotonic()
        episode = self.expect_firing(tracker, "VaultLeaseRevocationFailed", app.instance,
                                     "revocation refused", injected, 60, extra="rotation")
        unrevoked = app.sample("vault_datasource_leases_unrevoked", datasource="dataSource")
        log(f"app-a: leases unrevoked: {unrevoked}")
        if not unrevoked:
            raise Failure("app-a: a revocation failed but vault_datasource_leases_unrevoked is not above 0")
        self.expect_notified("VaultLeaseRevocationFailed", app.instance)
        self.set_policy(revoke=True)
        recovered = time.monotonic()
        self.expect_resolved(tracker, "VaultLeaseRevocationFailed", app.instance, 90, extra="rotation")
        self.record("VaultLeaseRevocationFailed", app.instance, "revocation refused (policy)", injected, episode,
                    recovered)

    def scenario_vault_paused(self, tracker, app):
        expected = ["VaultLeaseExpiryNear", "VaultLeaseRenewalsFailing", "VaultLeaseRotationsFailing",
                    "VaultLeaseExpired", "VaultTokenExpiring"]
        # Pause while the lease's next step is a renewal (not a rotation after a capped renewal), so
        # that the outage meets a renewal first, then the rotation, then the lease's and the token's expiry.
        wait_for("app-a's next lease action to be a renewal", lambda: app.next_action() == "RENEW", 60, 0.2)
        log(f"pausing OpenBao (SIGSTOP pid {self.bao_pid})")
        os.kill(self.bao_pid, signal.SIGSTOP)
        injected = time.monotonic()
        try:
            wait_for("every Vault-outage alert firing for app-a",
                     lambda: all(tracker.state(alert, app.instance) == "firing" for alert in expected), 40, 0.25)
            for alert in expected:
                # VaultLeaseExpiryNear is inhibited while VaultLeaseExpired fires for the same lease.
                if alert != "VaultLeaseExpiryNear":
                    self.expect_notified(alert, app.instance)
        finally:
            os.kill(self.bao_pid, signal.SIGCONT)
        recovered = time.monotonic()
        log(f"resumed OpenBao after {recovered - injected:.1f}s")
        for alert in expected:
            self.expect_resolved(tracker, alert, app.instance, 120)
        for alert in expected:
            for key, episodes in tracker.matching(alert, app.instance).items():
                self.record(alert, key[1], "Vault paused (SIGSTOP)", injected, episodes[-1], recovered)

    def scenario_shutdown(self, tracker, app_a, app_b):
        self.require(app_a, "vault_datasource_leases_unrevoked")
        self.require(app_a, "vault_datasource_lease_ttl_seconds")
        log("app-b: stopping cleanly (its revocation succeeds)")
        app_b.process.stop()
        log("app-a: removing sys/leases/revoke from its policy, then stopping it")
        self.set_policy(revoke=False)
        injected = time.monotonic()
        app_a.process.stop()
        episode = self.expect_firing(tracker, "VaultLeasesUnrevokedAtShutdown", "app-a",
                                     "stopped, revocation refused", injected, 30)
        self.expect_notified("VaultLeasesUnrevokedAtShutdown", "app-a")
        self.set_policy(revoke=True)
        # Resolves by itself once the lease must have expired: at most one lease TTL after the stop.
        # Nothing recovers, so its resolved time is measured from the stop (the SIGTERM) too.
        self.expect_resolved(tracker, "VaultLeasesUnrevokedAtShutdown", "app-a", 60)
        self.record("VaultLeasesUnrevokedAtShutdown", "app-a", "stopped, revocation refused (policy)", injected,
                    episode, injected)
        if tracker.matching("VaultLeasesUnrevokedAtShutdown", "app-b"):
            raise Failure("app-b stopped cleanly, yet VaultLeasesUnrevokedAtShutdown fired for it")

    def check_notifications(self, webhook):
        """Every proven episode (alert and instance) was delivered firing and then resolved, except
        VaultLeaseExpiryNear, which Alertmanager holds back while VaultLeaseExpired fires."""
        for row in self.results:
            if row.alert == "VaultLeaseExpiryNear":
                continue
            wait_for(f"Alertmanager to notify {row.alert} firing for {row.instance}",
                     lambda: webhook.received(row.alert, "firing", row.instance, row.pending), 30)
            wait_for(f"Alertmanager to notify {row.alert} resolved for {row.instance}",
                     lambda: webhook.received(row.alert, "resolved", row.instance, row.pending), 30)
        log(f"Alertmanager notified the webhook of every alert firing and resolved "
            f"({len(webhook.notifications)} notifications)")

    def summary(self):
        for scenario, reason in self.skipped:
            log(f"SKIPPED {scenario}: {reason}")
        one, five, fifteen = os.getloadavg()
        log(f"load average at the end: {one:.2f} {five:.2f} {fifteen:.2f}; 1-minute load during the run "
            f"{LOAD.low:.2f} to {LOAD.high:.2f}; {os.cpu_count()} CPUs")
        # One line per alert episode, all from this script's monotonic clock: pending and firing as
        # first seen in GET /api/v1/alerts (polled every 0.5 s) after the fault was injected,
        # resolved as first gone from it after the recovery, and when the webhook received
        # Alertmanager's firing and resolved notification ("no" when it did not).
        for row in self.results:
            log("ALERT " + row.line(self.webhook))


class Result:
    def __init__(self, alert, instance, fault, injected, pending, firing, recovered, resolved):
        self.alert, self.instance, self.fault = alert, instance, fault
        self.injected, self.pending, self.firing = injected, pending, firing
        self.recovered, self.resolved = recovered, resolved

    def line(self, webhook):
        def since(at, start):
            return f"+{at - start:.1f}s" if at is not None and start is not None else "no"
        notified_firing = webhook.received(self.alert, "firing", self.instance, self.pending)
        notified_resolved = webhook.received(self.alert, "resolved", self.instance, self.pending)
        return (f"{self.alert} instance={self.instance} fault=\"{self.fault}\" "
                f"pending={since(self.pending, self.injected)} firing={since(self.firing, self.injected)} "
                f"resolved={since(self.resolved, self.recovered)} "
                f"notified_firing={since(notified_firing, self.injected)} "
                f"notified_resolved={since(notified_resolved, self.recovered)}")


class LoadAverage:
    """The lowest and highest 1-minute load average seen while the alerts were followed."""

    def __init__(self):
        self.low = self.high = os.getloadavg()[0]

    def sample(self):
        one = os.getloadavg()[0]
        self.low, self.high = min(self.low, one), max(self.high, one)


LOAD = LoadAverage()


def cmd_run(_args):
    required = ["VAULT_ADDR", "VAULT_TOKEN", "VDS_BAO_PID", "VDS_JDBC_URL", "VDS_PG_BIN", "VDS_PG_PORT",
                "VDS_PG_ADMIN_USER", "VDS_PG_ADMIN_PASSWORD", "VDS_PROM_LIB"]
    missing = [name for name in required if not os.environ.get(name)]
    if missing:
        raise Failure(f"missing environment {missing}: run through scripts/ci/prometheus.sh")
    run = Run()
    run.main()
    if run.skipped and os.environ.get("VDS_PROM_ALLOW_SKIP") != "1":
        raise Failure(f"{len(run.skipped)} scenario(s) skipped; the alerts they prove are untested")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["check", "up", "down", "status", "run"])
    args = parser.parse_args()
    try:
        rc = {"check": cmd_check, "up": cmd_up, "down": cmd_down, "status": cmd_status, "run": cmd_run}[args.command](args)
    except Failure as ex:
        log(f"FAILED: {ex}")
        return 1
    return rc or 0


if __name__ == "__main__":
    sys.exit(main())
