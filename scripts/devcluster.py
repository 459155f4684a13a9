#!/usr/bin/python3
"""The development validator cluster behind `make run`, `make node-stop` and
`make node-start` (CONTRACT §6).

    devcluster.py run          set up, start the embedded Kafka (`ingestor
                               dev-kafka`), VALIDATORS validators (consensusd and
                               its trusted ingestor each) and the simulated
                               detector (`ingestor produce`) at RATE events/s,
                               print a live summary until Ctrl-C, then stop
                               everything.
    devcluster.py node-stop N  stop validator N's processes (a running `run` keeps going).
    devcluster.py node-start N start them again: same data dir, same ports.

Everything lives under .cybermesh/dev/: the PKI, keys, the validator set file,
the producer credentials and trust store, data dirs, logs/ and cluster.json.
Only the Python standard library is used.
"""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEV = os.environ.get("CYBERMESH_DEV_DIR", os.path.join(ROOT, ".cybermesh", "dev"))
BIN = os.path.join(ROOT, ".build", "release")
LOGS = os.path.join(DEV, "logs")
CLUSTER = os.path.join(DEV, "cluster.json")
PORT_BASE = int(os.environ.get("PORT_BASE", "27100"))
PRODUCERS = 4
DOMAINS = ["ai.anomaly.v1", "ai.evidence.v1", "ai.policy.v1"]
TOPICS = {"anomaly": "ai.anomalies.v1", "evidence": "ai.evidence.v1", "policy": "ai.policy.v1", "dlq": "ai.dlq.v1",
          "commits": "control.commits.v1", "policy_updates": "control.policy.v1", "reputation": "control.reputation.v1"}


def say(text):
    print(f"[make run] {text}", flush=True)


def fail(text):
    print(f"[make run] error: {text}", file=sys.stderr, flush=True)
    sys.exit(1)


def tool(*args):
    """Runs a consensusd set-up subcommand; returns its stdout."""
    result = subprocess.run([os.path.join(BIN, "consensusd"), *args], capture_output=True, text=True)
    if result.returncode != 0:
        fail(f"consensusd {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def public_key_of(path):
    """The public key of a key file, via a throw-away re-derivation."""
    cache = path + ".pub"
    if os.path.exists(cache):
        return open(cache).read().strip()
    fail(f"{cache} is missing; remove {DEV} and run again")


def ensure_key(path):
    if not os.path.exists(path):
        public = tool("keygen", "--out", path)
        with open(path + ".pub", "w") as handle:
            handle.write(public + "\n")
    return public_key_of(path), open(path).read().strip()


def peer_port(i):
    return PORT_BASE + i


def ingestor_port(i):
    return PORT_BASE + 200 + i


def start_kafka():
    """`ingestor dev-kafka` on 127.0.0.1; returns (pid, bootstrap address)."""
    boot = os.path.join(DEV, "kafka-bootstrap.txt")
    if os.path.exists(boot):
        os.remove(boot)
    log = open(os.path.join(LOGS, "dev-kafka.log"), "a")
    process = subprocess.Popen(
        [os.path.join(BIN, "ingestor"), "dev-kafka", "--partitions", "3", "--bootstrap-file", boot],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 30
    while not os.path.exists(boot):
        if process.poll() is not None or time.time() > deadline:
            fail("ingestor dev-kafka did not start; see .cybermesh/dev/logs/dev-kafka.log")
        time.sleep(0.1)
    return process.pid, open(boot).read().strip()


def ingestor_env(i, bootstrap):
    pki = os.path.join(DEV, "pki")
    env = dict(os.environ)
    env.update({
        "KAFKA_BROKERS": bootstrap, "VALIDATOR_SET_FILE": os.path.join(DEV, "validators.json"),
        "TLS_CA_FILE": os.path.join(pki, "ca.pem"),
        "TLS_CERT_FILE": os.path.join(pki, f"ingestor-ingestor-{i}.pem"), "TLS_KEY_FILE": os.path.join(pki, f"ingestor-ingestor-{i}.key"),
        "TRUST_STORE_FILE": os.path.join(DEV, "trust-store.json"), "HTTP_LISTEN_ADDR": f"127.0.0.1:{ingestor_port(i)}",
    })
    # The mock cluster's coordinator waits about the session timeout for
    # every rebalance round: the shortest one keeps partition moves short.
    env.setdefault("KAFKA_SESSION_TIMEOUT", "6s")
    return env


def start_ingestor(i, bootstrap):
    """Validator i's sidecar ingestor (its consensusd trusts it: TRUSTED_INGESTOR)."""
    log = open(os.path.join(LOGS, f"ingestor-{i}.log"), "a")
    process = subprocess.Popen(
        [os.path.join(BIN, "ingestor"), "run"], env=ingestor_env(i, bootstrap), stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True)
    return process.pid


def http_port(i):
    return PORT_BASE + 100 + i


def setup(validators):
    """Creates what is missing under .cybermesh/dev; a different validator
    count means a different cluster, so old data dirs are set aside."""
    os.makedirs(os.path.join(DEV, "keys"), exist_ok=True)
    os.makedirs(LOGS, exist_ok=True)
    say(f"creating the development PKI for {validators} validators in .cybermesh/dev/pki")
    tool("dev-pki", "--out", os.path.join(DEV, "pki"), "--validators", str(validators))
    say("creating validator and producer keys")
    entries = []
    for i in range(1, validators + 1):
        public, _ = ensure_key(os.path.join(DEV, "keys", f"validator-{i}.key"))
        entries.append({"id": i, "name": f"validator-{i}", "public_key": public, "peer_addr": f"127.0.0.1:{peer_port(i)}"})
    set_path = os.path.join(DEV, "validators.json")
    new_set = {"chain_id": "cybermesh-dev", "validators": entries}
    if os.path.exists(set_path) and json.load(open(set_path)) != new_set:
        stale = os.path.join(DEV, f"data.old.{int(time.time())}")
        if os.path.exists(os.path.join(DEV, "data")):
            os.rename(os.path.join(DEV, "data"), stale)
            say(f"the validator set changed: previous data moved to {os.path.relpath(stale, ROOT)}")
    json.dump(new_set, open(set_path, "w"), indent=1)
    producers, trusted = [], []
    for p in range(1, PRODUCERS + 1):
        public, seed = ensure_key(os.path.join(DEV, "keys", f"producer-{p}.key"))
        producers.append({"id": f"dev-producer-{p}", "secret_key_hex": seed})
        trusted.append({"id": f"dev-producer-{p}", "public_key": public, "domains": DOMAINS})
    json.dump({"producers": producers}, open(os.path.join(DEV, "producers.json"), "w"), indent=1)
    json.dump({"producers": trusted}, open(os.path.join(DEV, "trust-store.json"), "w"), indent=1)


def validator_env(i):
    pki = os.path.join(DEV, "pki")
    env = dict(os.environ)
    env.update({
        "NODE_ID": str(i),
        "VALIDATOR_SET_FILE": os.path.join(DEV, "validators.json"),
        "VALIDATOR_KEY_FILE": os.path.join(DEV, "keys", f"validator-{i}.key"),
        "TLS_CA_FILE": os.path.join(pki, "ca.pem"),
        "TLS_CERT_FILE": os.path.join(pki, f"validator-{i}.pem"),
        "TLS_KEY_FILE": os.path.join(pki, f"validator-{i}.key"),
        "TRUST_STORE_FILE": os.path.join(DEV, "trust-store.json"),
        "DATA_DIR": os.path.join(DEV, "data", f"validator-{i}"),
        "HTTP_LISTEN_ADDR": f"127.0.0.1:{http_port(i)}",
        "TRUSTED_INGESTOR": f"ingestor-{i}",
    })
    return env


def start_validator(i):
    log = open(os.path.join(LOGS, f"consensusd-{i}.log"), "a")
    process = subprocess.Popen(
        [os.path.join(BIN, "consensusd"), "run"], env=validator_env(i), stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True)
    return process.pid


def alive(pid):
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except OSError:
        return False


def stop_pid(pid, grace=10.0):
    """SIGTERM, then SIGKILL after `grace` seconds; fine if already gone."""
    if not alive(pid):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return
    deadline = time.time() + grace
    while alive(pid) and time.time() < deadline:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)


def read_cluster():
    try:
        return json.load(open(CLUSTER))
    except (OSError, ValueError):
        fail(f"{os.path.relpath(CLUSTER, ROOT)} not found: is `make run` running?")


def write_cluster(cluster):
    temporary = CLUSTER + ".tmp"
    json.dump(cluster, open(temporary, "w"), indent=1)
    os.replace(temporary, CLUSTER)


def get_json(url, timeout=1.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.loads(response.read())
    except (OSError, ValueError):
        return None


def status(i, timeout=1.0):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port(i)}/status", timeout=timeout) as response:
            return json.load(response)
    except (urllib.error.URLError, OSError, ValueError):
        return None


def last_log_line(i):
    try:
        with open(os.path.join(LOGS, f"consensusd-{i}.log")) as handle:
            lines = [line.strip() for line in handle if line.strip()]
        return lines[-1] if lines else "(empty log)"
    except OSError:
        return "(no log)"


def wait_for_genesis(validators, pids, stopping, timeout=120):
    """The genesis hash once every validator has the certificate; None if
    Ctrl-C came first. Fails at once, with the reason from its log, when a
    validator exits instead (a data directory of another version, a bad
    setting), rather than waiting out the timeout."""
    say(f"waiting for the genesis ceremony: {validators} validators, each attesting")
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        if stopping:
            return None
        exited = [i for i, pid in pids.items() if not alive(pid)]
        if exited:
            reasons = "; ".join(f"validator {i}: {last_log_line(i)[:300]}" for i in exited)
            raise SystemExit(f"[make run] error: validator(s) {exited} exited during genesis: {reasons}\n"
                             "[make run] data from an older version does not carry over: remove .cybermesh/dev for a fresh cluster")
        states = {i: status(i) for i in range(1, validators + 1)}
        up = [i for i, s in states.items() if s]
        done = [i for i, s in states.items() if s and s["genesis"]["phase"] == "complete"]
        line = f"operator ports answering: {len(up)}/{validators}; genesis complete on {len(done)}/{validators}"
        if up and not done:
            g = states[up[0]]["genesis"]
            line += f" (validator {up[0]}: {g['phase']}, {g['attestations_held']}/{g['quorum']} attestations, missing {g['missing']})"
        if line != last:
            say(line)
            last = line
        if len(done) == validators:
            return states[1]["genesis"]["hash"]
        time.sleep(0.3)
    fail(f"genesis did not complete within {timeout} s; see {os.path.relpath(LOGS, ROOT)}/consensusd-*.log and /status")


def run():
    validators = int(os.environ.get("VALIDATORS", "4"))
    rate = os.environ.get("RATE", "200")
    if not 4 <= validators <= 7:
        fail(f"VALIDATORS must be 4-7, got {validators}")
    if os.path.exists(CLUSTER):
        old = json.load(open(CLUSTER))
        if any(alive(v.get("consensusd_pid")) for v in old.get("validators", [])):
            fail("a cluster from an earlier `make run` is still running; stop it first (Ctrl-C in its terminal)")
    setup(validators)
    say("starting the embedded Kafka (librdkafka's mock cluster, in memory)")
    kafka_pid, bootstrap = start_kafka()
    say(f"Kafka at {bootstrap} (pid {kafka_pid}), topics {', '.join(TOPICS.values())}")
    producer = json.load(open(os.path.join(DEV, "producers.json")))["producers"][0]
    cluster = {
        "kafka_bootstrap": bootstrap, "kafka_pid": kafka_pid, "topics": TOPICS, "producer": producer,
        "validators": [], "validator_set_file": os.path.join(DEV, "validators.json"),
    }
    for i in range(1, validators + 1):
        pid = start_validator(i)
        cluster["validators"].append({
            "id": i, "consensusd_pid": pid, "ingestor_pid": 0, "persister_pid": 0,
            "consensusd_http": f"http://127.0.0.1:{http_port(i)}", "ingestor_http": f"http://127.0.0.1:{ingestor_port(i)}",
            "peer_addr": f"127.0.0.1:{peer_port(i)}",
            "data_dir": os.path.join(DEV, "data", f"validator-{i}"), "log": os.path.join(LOGS, f"consensusd-{i}.log"),
        })
        say(f"started consensusd {i} (pid {pid}), log .cybermesh/dev/logs/consensusd-{i}.log")
    write_cluster(cluster)
    stopping = []

    def on_signal(signum, _frame):
        stopping.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    load = None
    try:
        genesis = wait_for_genesis(validators, {v["id"]: v["consensusd_pid"] for v in cluster["validators"]}, stopping)
        if genesis is None:
            return
        say(f"genesis complete: certificate {genesis[:16]}...")
        for v in cluster["validators"]:
            v["ingestor_pid"] = start_ingestor(v["id"], bootstrap)
            say(f"started ingestor {v['id']} (pid {v['ingestor_pid']}, trusted by consensusd {v['id']}), log .cybermesh/dev/logs/ingestor-{v['id']}.log")
        write_cluster(cluster)
        env = dict(os.environ)
        env.update({"KAFKA_BROKERS": bootstrap, "PRODUCERS_FILE": os.path.join(DEV, "producers.json")})
        load_log = open(os.path.join(LOGS, "detector.log"), "a")
        load = subprocess.Popen(
            [os.path.join(BIN, "ingestor"), "produce", "--rate", rate], env=env, stdout=load_log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        cluster["producer_pid"] = load.pid
        write_cluster(cluster)
        say(f"started the simulated detector (ingestor produce) at {rate} events/s (pid {load.pid}), log .cybermesh/dev/logs/detector.log")
        say("validators (consensusd: /status /validators /genesis /blocks/{height} /metrics; ingestor: /status /ready /metrics):")
        for v in cluster["validators"]:
            print(f"    validator {v['id']}: consensusd {v['consensusd_http']}  ingestor {v['ingestor_http']}  peer {v['peer_addr']}", flush=True)
        say("cluster described in .cybermesh/dev/cluster.json; `make node-stop N=2` / `make node-start N=2` break and heal it")
        say("live summary every 2 s; Ctrl-C stops everything")
        previous = None
        while not stopping:
            time.sleep(2)
            if stopping:
                break
            cluster = read_cluster()
            states = {v["id"]: status(v["id"]) for v in cluster["validators"]}
            up = {i: s for i, s in states.items() if s}
            if not up:
                print("  no validator answers", flush=True)
                continue
            top = max(up.values(), key=lambda s: s["height"])
            # The rate is read from one validator (the lowest id up).
            top_id = min(up)
            reference = up[top_id]
            now = time.time()
            rate_text = "-"
            # committed_tx counts since that consensusd started: compare a
            # validator only with itself.
            if previous and previous[2] == top_id and reference["committed_tx"] >= previous[1]:
                rate_text = f"{(reference['committed_tx'] - previous[1]) / (now - previous[0]):.0f}"
            previous = (now, reference["committed_tx"], top_id)
            down = sorted(set(states) - set(up))
            ingest = [s for s in (get_json(v.get("ingestor_http", "") + "/status") for v in cluster["validators"]) if s]
            dead = sum(sum(s.get("dead_lettered", {}).values()) for s in ingest)
            in_flight = sum(s.get("in_flight_events", 0) for s in ingest)
            print(
                f"  height {top['height']}  committed {rate_text} tx/s  view {top['view']}  leader {top['leader']}"
                f"  validators up {len(up)}/{len(states)}" + (f" (down: {down})" if down else "")
                + f"  ingestors up {len(ingest)}/{len(states)}  in flight {in_flight}  DLQ {dead}"
                + (f"  detector: {'running' if load.poll() is None else 'exited'}"), flush=True)
    finally:
        say("stopping everything")
        if load is not None:
            stop_pid(load.pid)
        cluster = read_cluster() if os.path.exists(CLUSTER) else cluster
        for v in cluster["validators"]:
            stop_pid(v.get("ingestor_pid"))
            v["ingestor_pid"] = 0
        for v in cluster["validators"]:
            stop_pid(v.get("consensusd_pid"))
            v["consensusd_pid"] = 0
        stop_pid(cluster.get("kafka_pid"))
        cluster["producer_pid"] = 0
        cluster["kafka_pid"] = 0
        write_cluster(cluster)
        say("stopped; data stays in .cybermesh/dev/data (remove .cybermesh/dev for a fresh cluster)")


def node(action, n):
    cluster = read_cluster()
    entry = next((v for v in cluster["validators"] if v["id"] == n), None)
    if entry is None:
        fail(f"no validator {n} in {os.path.relpath(CLUSTER, ROOT)} (ids: {[v['id'] for v in cluster['validators']]})")
    if action == "node-stop":
        stop_pid(entry.get("ingestor_pid"))
        stop_pid(entry.get("consensusd_pid"))
        entry["ingestor_pid"] = 0
        entry["consensusd_pid"] = 0
        write_cluster(cluster)
        print(f"validator {n} stopped (consensusd and ingestor)")
    else:
        if not alive(entry.get("consensusd_pid")):
            entry["consensusd_pid"] = start_validator(n)
            print(f"consensusd {n} started (pid {entry['consensusd_pid']}), log .cybermesh/dev/logs/consensusd-{n}.log")
        if cluster.get("kafka_bootstrap") and not alive(entry.get("ingestor_pid")):
            entry["ingestor_pid"] = start_ingestor(n, cluster["kafka_bootstrap"])
            print(f"ingestor {n} started (pid {entry['ingestor_pid']}), log .cybermesh/dev/logs/ingestor-{n}.log")
        write_cluster(cluster)


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("run", "node-stop", "node-start"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    if sys.argv[1] == "run":
        run()
        return
    if len(sys.argv) != 3 or not sys.argv[2].isdigit():
        fail(f"usage: make {sys.argv[1]} N=<validator id>")
    node(sys.argv[1], int(sys.argv[2]))


if __name__ == "__main__":
    main()
