#!/usr/bin/python3
"""Corrupted shards: a flipped bit anywhere in the stored chunks of a small sharded dataset (every
input and output chunk of every shard, at its first, middle and last data byte and in its Fletcher32
checksum) is detected by `synobs stats`, which ends with exit 1 and one line naming the shard, the
dataset and the sample, and writes no statistics. The chunk offsets come from h5py, independently of
synobs' reader. Skipped (77) where numpy or h5py are missing."""
import argparse
import os
import shutil
import subprocess
import sys

from launcher import own_lines

try:
    import h5py
except ImportError as e:  # pragma: no cover
    print(f"SKIPPED: test_corruption needs h5py for /usr/bin/python3 ({e})")
    sys.exit(77)

ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--synobs", required=True)
    ap.add_argument("--mpiexec", default="mpiexec")
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    shutil.rmtree(a.workdir, ignore_errors=True)
    os.makedirs(a.workdir)
    master = os.path.join(a.workdir, "ds", "data.h5")
    subprocess.run([a.mpiexec, "-n", "2", "--oversubscribe", a.synobs, "synth", "/dev/null", "--quiet",
                    "-P", f"synth.output={master}", "-P", "synth.samples=6", "-P", "synth.grid=8",
                    "-P", "synth.channels=3"], env=ENV, check=True)
    out = os.path.join(a.workdir, "stats.h5")
    failed = runs = 0

    def stats(ranks):
        cmd = [a.synobs, "stats", "/dev/null", "--quiet", "-P", f"stats.input={master}", "-P", f"stats.output={out}",
               "-P", "stats.chunk_samples=2"]
        if ranks > 1:
            cmd = [a.mpiexec, "-n", str(ranks), "--oversubscribe"] + cmd
        return subprocess.run(cmd, env=ENV, capture_output=True, text=True, errors="replace")

    r = stats(1)
    if r.returncode != 0:
        print(f"FAIL: the clean dataset does not read: {r.stderr}")
        return 1
    os.remove(out)
    for rank in (0, 1):
        shard = os.path.join(a.workdir, "ds", "data.shards", f"rank_{rank:05d}.h5")
        with h5py.File(shard, "r") as h:
            chunks = [(name, i, h[name].id.get_chunk_info(i)) for name in ("input", "output")
                      for i in range(h[name].id.get_num_chunks())]
        for name, index, info in chunks:
            size = info.size  # the data, then Fletcher32's 4 bytes
            for where, pos in (("first byte", 0), ("middle", (size - 4) // 2), ("last data byte", size - 5),
                               ("checksum", size - 2)):
                ranks = 2 if where == "middle" and index == 0 else 1
                with open(shard, "r+b") as fh:
                    fh.seek(info.byte_offset + pos)
                    old = fh.read(1)
                    fh.seek(info.byte_offset + pos)
                    fh.write(bytes([old[0] ^ 0x04]))
                r = stats(ranks)
                with open(shard, "r+b") as fh:
                    fh.seek(info.byte_offset + pos)
                    fh.write(old)
                runs += 1
                lines = own_lines(r.stderr)
                msg = lines[0] if lines else ""
                # a chunk holds one (sample, quantity): its index over the 3 quantities (input) gives the sample
                sample = index // 3 if name == "input" else index
                want = [f"rank_{rank:05d}.h5", "checksum error", f"'{name}'", f"sample {sample}"]
                problems = []
                if r.returncode != 1:
                    problems.append(f"exit {r.returncode}")
                if len(lines) != 1 or not msg.startswith("synobs: error:"):
                    problems.append(f"{len(lines)} lines")
                problems += [f"no '{w}'" for w in want if w not in msg]
                if os.path.exists(out) or os.path.exists(out + ".partial"):
                    problems.append("a statistics file was written")
                if problems:
                    failed += 1
                    print(f"FAIL: shard {rank} {name} chunk {index} ({where}, {ranks} rank(s)): {', '.join(problems)}\n"
                          f"  stderr: {r.stderr[-800:]}")
                elif where == "middle" and index == 0:
                    print(f"  shard {rank} {name} chunk {index} ({where}, {ranks} ranks): {msg}")
    r = stats(1)
    if r.returncode != 0:
        failed += 1
        print("FAIL: the restored dataset does not read")
    print(f"{runs} flipped bits in {runs // 4} chunks of 2 shards: {runs - failed} detected and named, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
