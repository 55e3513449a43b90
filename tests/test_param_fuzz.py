#!/usr/bin/env python3
"""Seeded parameter-file fuzz: mutations of every file in inputs/ (byte flips, truncations, huge,
negative, NaN and empty values, very long values and lines, unknown sections, missing '=', NUL
bytes, CRLF and lone CR, duplicate keys, bytes that are not UTF-8, -P overrides of any length),
each run by `synobs STAGE FILE --check` (every check a run makes before it works) with a short
timeout, most as one process, some at 2 ranks, and some run for real for a few seconds.

A run fails the test when it ends by a signal (a crash, a sanitizer abort), when it times out in
--check, or when it exits with a status other than 0 whose stderr is not exactly one line
starting `synobs: error:` (at 2 ranks: exactly one such line, the launcher's banner aside).
Runs in well under 3 minutes on 2 cores. Seed and count: --seed, --count."""
import argparse
import concurrent.futures
import glob
import os
import random
import shutil
import subprocess
import sys
import time

from launcher import one_error_line

ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1")
NUMBERS = ["1e308", "-1e308", "99999999999999999999999", "-1", "-999999999", "0", "nan", "NaN", "inf", "-inf", "",
           "1e-320", "0x10", "1,5", " 3 4", "true", "9.2e18", "18446744073709551616"]


def stage_of(text):
    """The stage a file is for: a campaign file runs `campaign`, else its first known section."""
    for line in text.splitlines():
        s = line.split("#")[0].strip()
        if s.startswith("[") and s.endswith("]"):
            name = s[1:-1].strip()
            if name == "campaign":
                return "campaign"
            return {"verify_golden": "verify-golden"}.get(name, name)
    return "stats"


def mutate(data, rng):
    """One mutation of the file's bytes; returns (bytes, description, extra -P arguments)."""
    lines = data.split(b"\n")
    kind = rng.choice(["flip", "flip3", "truncate", "number", "long_value", "long_line", "unknown_section",
                       "no_equals", "nul", "crlf", "lone_cr", "duplicate", "not_utf8", "override", "empty_key",
                       "bracket", "delete_line", "huge_file"])
    extra = []
    value_lines = [i for i, l in enumerate(lines) if b"=" in l and not l.strip().startswith(b"#")]
    pick = rng.choice(value_lines) if value_lines else 0
    if kind in ("flip", "flip3"):
        b = bytearray(data)
        for _ in range(1 if kind == "flip" else 3):
            if b:
                i = rng.randrange(len(b))
                b[i] ^= 1 << rng.randrange(8)
        out = bytes(b)
    elif kind == "truncate":
        out = data[:rng.randrange(len(data) + 1)]
    elif kind == "number":
        key = lines[pick].split(b"=")[0]
        lines[pick] = key + b"= " + rng.choice(NUMBERS).encode()
        out = b"\n".join(lines)
    elif kind == "long_value":
        key = lines[pick].split(b"=")[0]
        n = rng.choice([2000, 4096, 4097, 5000, 66000, 70000, 200000])
        lines[pick] = key + b"= " + (b"x" * n if rng.random() < 0.5 else b"1" * n)
        out = b"\n".join(lines)
    elif kind == "long_line":
        lines.insert(rng.randrange(len(lines) + 1), b"#" * rng.choice([5000, 100000]) if rng.random() < 0.3
                     else b"k" * rng.choice([5000, 100000]))
        out = b"\n".join(lines)
    elif kind == "unknown_section":
        lines.insert(rng.randrange(len(lines) + 1), rng.choice([b"[bogus]", b"[ ]", b"[" + b"s" * 300 + b"]",
                                                                b"[generate] extra", b"[campaign"]))
        out = b"\n".join(lines)
    elif kind == "no_equals":
        lines[pick] = lines[pick].replace(b"=", b" ", 1)
        out = b"\n".join(lines)
    elif kind == "nul":
        i = rng.randrange(len(data) + 1)
        out = data[:i] + b"\0" + data[i:]
    elif kind == "crlf":
        out = data.replace(b"\n", b"\r\n")
    elif kind == "lone_cr":
        lines[pick] = lines[pick] + b"\rx" if rng.random() < 0.5 else lines[pick].replace(b"=", b"=\r", 1)
        out = b"\n".join(lines)
    elif kind == "duplicate":
        lines.insert(pick + 1, lines[pick])
        out = b"\n".join(lines)
    elif kind == "not_utf8":
        lines[pick] = lines[pick] + bytes(rng.randrange(128, 256) for _ in range(8))
        out = b"\n".join(lines)
    elif kind == "override":
        out = data
        key = lines[pick].split(b"=")[0].strip().decode(errors="replace")
        section = ""
        for l in lines[:pick + 1]:
            s = l.split(b"#")[0].strip()
            if s.startswith(b"[") and s.endswith(b"]"):
                section = s[1:-1].decode(errors="replace")
        value = rng.choice(NUMBERS + ["y" * 5000, "a#b", "x\ty", "z" * 70000, "é", "[x]"])
        extra = ["-P", f"{section}.{key}={value}"]
    elif kind == "empty_key":
        lines.insert(rng.randrange(len(lines) + 1), b" = 3")
        out = b"\n".join(lines)
    elif kind == "bracket":
        lines[pick] = b"[" + lines[pick]
        out = b"\n".join(lines)
    elif kind == "delete_line":
        del lines[pick]
        out = b"\n".join(lines)
    else:  # huge_file: past the parser's 16 MiB limit
        out = data + b"#" * (17 << 20)
    return out, f"{kind} (line {pick + 1})", extra


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--synobs", required=True)
    ap.add_argument("--mpiexec", default="mpiexec")
    ap.add_argument("--source", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--seed", type=int, default=20261206)
    ap.add_argument("--count", type=int, default=30, help="mutations per input file")
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--real-every", type=int, default=10,
                    help="every Nth mutation runs for real (2 s) instead of --check; 1: all (for binaries without --check)")
    a = ap.parse_args()
    shutil.rmtree(a.workdir, ignore_errors=True)
    os.makedirs(a.workdir)
    rng = random.Random(a.seed)
    files = sorted(glob.glob(os.path.join(a.source, "inputs", "*.par")))
    t0 = time.time()
    cases = []  # mutations drawn first, in a seeded order, then run two at a time
    for path in files:
        data = open(path, "rb").read()
        stage = stage_of(data.decode(errors="replace"))
        for k in range(a.count):
            text, what, extra = mutate(data, rng)
            cases.append((path, k, stage, text, what, extra))

    def run(case_args):
        path, k, stage, text, what, extra = case_args
        case = os.path.join(a.workdir, f"{os.path.basename(path)[:-4]}_{k:03d}")
        os.makedirs(case)
        par = os.path.join(case, "mutated.par")
        open(par, "wb").write(text)
        ranks = 2 if k % 5 == 4 else 1           # every fifth at 2 ranks
        real = k % a.real_every == a.real_every - 1  # every tenth runs for real, a short while
        cmd = [a.synobs, stage, par, "--quiet"] + extra + ([] if real else ["--check"])
        if ranks > 1:
            cmd = [a.mpiexec, "-n", str(ranks), "--oversubscribe"] + cmd
        timeout = 2.0 if real else a.timeout
        try:
            r = subprocess.run(cmd, cwd=case, env=ENV, capture_output=True, timeout=timeout)
            rc, err = r.returncode, r.stderr.decode(errors="replace")
        except subprocess.TimeoutExpired as e:
            rc, err = None, (e.stderr or b"").decode(errors="replace")
        bad = None
        if rc is None:
            if not real:
                bad = f"--check did not end within {timeout} s"
        elif rc < 0 or rc > 128:
            bad = f"ended by signal {-rc if rc < 0 else rc - 128}"
        elif rc != 0 and one_error_line(err) is None:
            bad = f"exit {rc} without exactly one 'synobs: error:' line"
        if bad:
            return (f"FAIL: {os.path.basename(path)} mutation {k} [{what}], {ranks} rank(s){' real' if real else ''}: "
                    f"{bad}\n  command: {' '.join(cmd)[:300]}\n  stderr: {err[-1500:]}")
        shutil.rmtree(case, ignore_errors=True)
        return None

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, cases))
    for r in results:
        if r:
            print(r, flush=True)
    runs, failures = len(cases), sum(r is not None for r in results)
    kinds = {}
    for c in cases:
        kinds[c[4].split()[0]] = kinds.get(c[4].split()[0], 0) + 1
    print(f"{runs} runs of {len(files)} files ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}), seed "
          f"{a.seed}: {failures} failed, {time.time() - t0:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
