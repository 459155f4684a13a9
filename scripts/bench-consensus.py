#!/usr/bin/python3
"""`make bench-consensus`: the validator cluster's throughput, latency and CPU
cost on loopback, and the physical limit Ed25519 puts on it. Printed, never
asserted; the last line is one JSON object (docs/benchmarks.md).

1. Single-core libsodium sign and verify rates (`consensusd bench-crypto`).
2. Genesis time of 5 validators: from the last validator's start to the
   last "genesis complete", read from their JSON logs.
3. 4 validators and `ingestor load` at stepped rates (STEP_SECONDS each)
   until the committed rate stops rising: committed events/s, p50/p99
   submit-to-commit latency, CPU seconds per committed event per process.
4. The Ed25519 bound = cores / CPU seconds of the signatures made and
   checked per event in this topology: the producer's signature, one
   admission check per validator (the load's ingestor is trusted by none),
   and each block's proposal and vote signatures and checks, spread over
   the events of the block.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
WORK = tempfile.mkdtemp(prefix="cybermesh-bench-")
os.environ["CYBERMESH_DEV_DIR"] = WORK
os.environ.setdefault("PORT_BASE", "28100")
import devcluster as dc  # noqa: E402

STEP_SECONDS = int(os.environ.get("STEP_SECONDS", "10"))
RATES = [int(r) for r in os.environ.get("RATES", "250,500,1000,2000,3000,4000,5000,6000,8000").split(",")]


def cpu_seconds(pid):
    """utime + stime of a live process, from /proc."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def log_times(path, message):
    times = []
    for line in open(path):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("msg") == message:
            stamp = record["ts"]
            times.append(time.mktime(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")) + float(stamp[19:-1] or 0))
    return times


def fresh(validators):
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    dc.setup(validators)
    pids = {i: dc.start_validator(i) for i in range(1, validators + 1)}
    try:
        if dc.wait_for_genesis(validators, pids, [], timeout=120) is None:
            raise SystemExit("bench: genesis did not complete")
    except BaseException:
        # Never leave validators holding the ports behind a failed start.
        stop(pids)
        raise
    return pids


def stop(pids):
    for pid in pids.values():
        dc.stop_pid(pid)


def crypto_rates():
    out = subprocess.run([os.path.join(dc.BIN, "consensusd"), "bench-crypto"], capture_output=True, text=True, check=True).stdout
    print(out.strip(), flush=True)
    fields = dict(part.split("=") for part in out.split() if "=" in part)
    return float(fields["sign_per_s"]), float(fields["verify_per_s"])


def genesis_ms():
    pids = fresh(5)
    stop(pids)
    started = max(max(log_times(os.path.join(dc.LOGS, f"consensusd-{i}.log"), "validator starting")) for i in range(1, 6))
    complete = max(max(log_times(os.path.join(dc.LOGS, f"consensusd-{i}.log"), "genesis complete")) for i in range(1, 6))
    value = max(0.0, (complete - started) * 1000)
    print(f"genesis validators=5 ms={value:.0f} (last validator start to last certificate)", flush=True)
    return value


def load_step(rate, pids):
    env = dict(os.environ)
    pki = os.path.join(dc.DEV, "pki")
    env.update({
        "VALIDATOR_SET_FILE": os.path.join(dc.DEV, "validators.json"), "TLS_CA_FILE": os.path.join(pki, "ca.pem"),
        "TLS_CERT_FILE": os.path.join(pki, "ingestor-ingestor-extra-1.pem"), "TLS_KEY_FILE": os.path.join(pki, "ingestor-ingestor-extra-1.key"),
        "PRODUCERS_FILE": os.path.join(dc.DEV, "producers.json"), "LOG_LEVEL": "warning",
    })
    height_before = dc.status(1)["height"]
    cpu_before = {i: cpu_seconds(pid) for i, pid in pids.items()}
    children_before = os.times()
    load = subprocess.Popen(
        [os.path.join(dc.BIN, "ingestor"), "load", "--rate", str(rate), "--duration", str(STEP_SECONDS), "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    output, _ = load.communicate()
    children_after = os.times()
    # The load process is the only child reaped during the step.
    load_cpu = (children_after.children_user - children_before.children_user) + (children_after.children_system - children_before.children_system)
    cpu_after = {i: cpu_seconds(pid) for i, pid in pids.items()}
    height_after = dc.status(1)["height"]
    summary = json.loads([line for line in output.splitlines() if line.startswith("{")][-1])
    return summary, {i: cpu_after[i] - cpu_before[i] for i in pids}, load_cpu, height_after - height_before


def main():
    cores = os.cpu_count() or 1
    sign_rate, verify_rate = crypto_rates()
    genesis = genesis_ms()
    validators = 4
    pids = fresh(validators)
    steps = []
    try:
        for rate in RATES:
            summary, cpu, load_cpu, blocks = load_step(rate, pids)
            committed = summary["committed"]
            per_s = summary["committed_events_per_s"]
            validator_cpu = sum(cpu.values())
            step = {
                "offered": rate, "committed_per_s": per_s, "p50_ms": summary["p50_ms"], "p99_ms": summary["p99_ms"],
                "blocks": blocks, "committed": committed,
                "cpu_s_per_event_validator": validator_cpu / validators / max(committed, 1),
                "cpu_s_per_event_load": load_cpu / max(committed, 1),
                "cpu_s_per_1000_events": (validator_cpu + load_cpu) / max(committed, 1) * 1000,
            }
            steps.append(step)
            print(
                f"step offered={rate}/s committed={per_s}/s p50={step['p50_ms']}ms p99={step['p99_ms']}ms blocks={blocks} "
                f"events_per_block={committed / max(blocks, 1):.1f} cpu_ms_per_event: per_validator={step['cpu_s_per_event_validator'] * 1000:.3f} "
                f"load={step['cpu_s_per_event_load'] * 1000:.3f} total_cpu_s_per_1000_events={step['cpu_s_per_1000_events']:.2f}", flush=True)
            best = max(s["committed_per_s"] for s in steps[:-1]) if len(steps) > 1 else 0
            if per_s < 0.9 * rate or (best and per_s < best * 1.05):
                break
    finally:
        stop(pids)
    plateau = max(steps, key=lambda s: s["committed_per_s"])
    at_1000 = next((s for s in steps if s["offered"] == 1000), plateau)
    events_per_block = plateau["committed"] / max(plateau["blocks"], 1)
    # Per block, each validator checks the proposal and 2(N-1) votes; the
    # leader signs the proposal and every validator two votes.
    verifies = validators + validators * (2 * (validators - 1) + 1) / events_per_block
    signs = 1 + (2 * validators + 1) / events_per_block
    cpu_per_event = signs / sign_rate + verifies / verify_rate
    bound = cores / cpu_per_event
    print(
        f"ed25519 bound: cores={cores} signs_per_event={signs:.2f} verifies_per_event={verifies:.2f} "
        f"cpu_us_per_event={cpu_per_event * 1e6:.0f} bound_events_per_s={bound:.0f}", flush=True)
    result = {
        "validators": validators, "committed_events_per_s": plateau["committed_per_s"],
        "ed25519_bound_events_per_s": round(bound), "ratio_to_bound": round(plateau["committed_per_s"] / bound, 3),
        "p50_ms": at_1000["p50_ms"], "p99_ms": at_1000["p99_ms"], "genesis_ms": round(genesis),
        "cpu_s_per_1000_events": round(plateau["cpu_s_per_1000_events"], 3),
        "ed25519_sign_per_s": round(sign_rate), "ed25519_verify_per_s": round(verify_rate), "cores": cores,
        "plateau_offered_per_s": plateau["offered"], "events_per_block_at_plateau": round(events_per_block, 1),
    }
    shutil.rmtree(WORK, ignore_errors=True)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
