#!/usr/bin/python3
"""`make bench-ingest`: the ingestor's figures (docs/benchmarks.md). Printed,
never asserted; the last line is one JSON object.

1. Verification throughput (`ingestor bench-verify`): the full CONTRACT §1
   check per event on one core and on all cores, against raw libsodium
   Ed25519 verify of the same sign bytes in the same run (the ratio is what
   decoding, hashing and the payload schema cost on top of the signature).
2. Kafka to f+1 commit: 4 validators, `ingestor dev-kafka` (6 partitions per
   topic), EVENTS signed events published first, then one `ingestor run`
   (as validator 1's sidecar: validator 1 trusts it, the others verify
   every event again) until every event is committed by f+1 validators;
   events/s from its first record to its last commit, and the ingestor's
   CPU seconds per 1,000 events.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
WORK = tempfile.mkdtemp(prefix="cybermesh-bench-ingest-")
os.environ["CYBERMESH_DEV_DIR"] = WORK
os.environ.setdefault("PORT_BASE", "29100")
import devcluster as dc  # noqa: E402

EVENTS = int(os.environ.get("EVENTS", "20000"))


def cpu_seconds(pid):
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return json.loads(response.read())
    except (OSError, ValueError):
        return None


def verify_rates():
    out = subprocess.run([os.path.join(dc.BIN, "ingestor"), "bench-verify", "--events", "20000"], capture_output=True, text=True, check=True).stdout
    print(out.strip(), flush=True)
    return json.loads(out.strip().splitlines()[-1])


def kafka_to_commit():
    dc.setup(4)
    pids = {i: dc.start_validator(i) for i in range(1, 5)}
    processes = []
    try:
        if dc.wait_for_genesis(4, pids, [], timeout=120) is None:
            raise SystemExit("bench: genesis did not complete")
        boot_file = os.path.join(WORK, "kafka-bootstrap.txt")
        broker = subprocess.Popen([os.path.join(dc.BIN, "ingestor"), "dev-kafka", "--partitions", "6", "--bootstrap-file", boot_file],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        processes.append(broker)
        while not os.path.exists(boot_file):
            time.sleep(0.1)
        bootstrap = open(boot_file).read().strip()
        env = dict(os.environ)
        env.update({"KAFKA_BROKERS": bootstrap, "PRODUCERS_FILE": os.path.join(dc.DEV, "producers.json")})
        subprocess.run([os.path.join(dc.BIN, "ingestor"), "produce", "--rate", "100000", "--count", str(EVENTS)],
                       env=env, stdout=subprocess.DEVNULL, check=True)
        pki = os.path.join(dc.DEV, "pki")
        port = int(os.environ["PORT_BASE"]) + 250
        env.update({
            "VALIDATOR_SET_FILE": os.path.join(dc.DEV, "validators.json"), "TLS_CA_FILE": os.path.join(pki, "ca.pem"),
            "TLS_CERT_FILE": os.path.join(pki, "ingestor-ingestor-1.pem"), "TLS_KEY_FILE": os.path.join(pki, "ingestor-ingestor-1.key"),
            "TRUST_STORE_FILE": os.path.join(dc.DEV, "trust-store.json"), "HTTP_LISTEN_ADDR": f"127.0.0.1:{port}", "LOG_LEVEL": "warning",
        })
        ingestor = subprocess.Popen([os.path.join(dc.BIN, "ingestor"), "run"], env=env, stdout=open(os.path.join(WORK, "ingestor.log"), "w"),
                                    stderr=subprocess.STDOUT, start_new_session=True)
        processes.append(ingestor)
        started = cpu_start = None
        cpu_validators_start = None
        deadline = time.time() + 600
        status = {}
        while time.time() < deadline:
            status = get(f"http://127.0.0.1:{port}/status") or {}
            if started is None and status.get("consumed", 0) > 0:
                started = time.time()
                cpu_start = cpu_seconds(ingestor.pid)
                cpu_validators_start = sum(cpu_seconds(pid) for pid in pids.values())
            if status.get("committed", 0) + status.get("replays", 0) >= EVENTS:
                break
            time.sleep(0.05)
        elapsed = time.time() - (started or time.time())
        cpu = cpu_seconds(ingestor.pid) - (cpu_start or 0)
        validators_cpu = sum(cpu_seconds(pid) for pid in pids.values()) - (cpu_validators_start or 0)
        committed = status.get("committed", 0)
        result = {
            "events": EVENTS, "committed": committed, "seconds": round(elapsed, 2),
            "events_per_s": round(committed / max(elapsed, 0.001)),
            "ingestor_cpu_s_per_1000_events": round(cpu / max(committed, 1) * 1000, 3),
            "validators_cpu_s_per_1000_events": round(validators_cpu / max(committed, 1) * 1000, 3),
        }
        print(f"kafka-to-commit events={EVENTS} committed={committed} seconds={elapsed:.1f} events_per_s={result['events_per_s']} "
              f"ingestor_cpu_s_per_1000={result['ingestor_cpu_s_per_1000_events']} validators_cpu_s_per_1000={result['validators_cpu_s_per_1000_events']}",
              flush=True)
        return result
    finally:
        for process in processes:
            process.terminate()
            process.wait()
        for pid in pids.values():
            dc.stop_pid(pid)


def main():
    try:
        verify = verify_rates()
        pipeline = kafka_to_commit()
        print(json.dumps({"verify": verify, "kafka_to_commit": pipeline, "cores": os.cpu_count()}), flush=True)
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
