#!/usr/bin/python3
"""Side-by-side benchmark of synobs' RT solver and Pomme on the case classes of issue 20.

Usage: bench_rt_cases.py SYNOBS WORKDIR POMME_SRC|none SIZES [ROUNDS]
  SIZES: comma-separated grid sizes (64,128). For each size one generated AGB-wind view (synobs
  generate, seed 7) is turned into four models, all 7 channels of 300 m/s:
   a  the generated view as it is: v_turb = 0, zero boundary;
   b  microturbulence: a per-point v_turb field drawn uniformly in 150-300 m/s (seeded), zero boundary;
   c  optically thick: n_CO scaled so that the largest optical depth through the cube (over pixels
      and channels, computed with Pomme's own optical_depth_along_last_axis, or synobs' numbers
      when Pomme is absent) is 30; v_turb = 150 m/s, CMB boundary;
   d  dust continuum (synobs dust mode on model c's n_CO and T; Pomme has no dust mode).
  Every case is timed on one thread and on all threads (synobs solve.threads = 1 / 0; Pomme with
  torch.set_num_threads(1) / all cores), alternating synobs and Pomme for ROUNDS rounds (default 2)
  in this one run; every figure is the MINIMUM over the repeats (the machine is shared). The image
  difference between synobs' fast solver and Pomme (spec 16.4 metric) is printed for a-c, and the
  per-point-channel cost (time / (N^3 x 7)) beside each time.
POMME_SRC is the src/ folder of a Magritte-code/pomme checkout (it holds pomme/); with `none`, or
when Pomme cannot be imported, synobs' times are printed alone and the script says so.
"""
import os, subprocess, sys, time, types, re
import numpy as np, h5py

synobs, work, pomme_src, sizes = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3], [int(s) for s in sys.argv[4].split(",")]
rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 2
NF, NCPU = 7, os.cpu_count()
C = 299792458.0
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
os.makedirs(work, exist_ok=True)
os.chdir(work)
codat = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "inputs", "co.dat")

# ---- Pomme (optional; not a dependency of synobs) ----
pomme = None
if pomme_src != "none":
    try:
        # astroquery (not in Debian) replaced by a LAMDA reader giving the same columns, ipywidgets by a
        # stub: as ../shared/tools/pomme_time.py does
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "tools"))
        aq, aql = types.ModuleType("astroquery"), types.ModuleType("astroquery.lamda")
        ipw = types.ModuleType("ipywidgets")
        ipw.interact = lambda *a, **k: None
        sys.modules.update({"astroquery": aq, "astroquery.lamda": aql, "ipywidgets": ipw})

        def parse_lamda(path):
            lines = [l.strip() for l in open(path) if l.strip() and not l.strip().startswith("!")]
            nlev = int(lines[2].split()[0])
            lev = [l.split() for l in lines[3:3 + nlev]]
            nrad = int(lines[3 + nlev].split()[0])
            rad = [l.split() for l in lines[4 + nlev:4 + nlev + nrad]]
            enl = {"Level": [int(r[0]) for r in lev], "Energy": [float(r[1]) for r in lev],
                   "Weight": [float(r[2]) for r in lev], "J": [r[3] for r in lev]}
            rt = {"Transition": [int(r[0]) for r in rad], "Upper": [int(r[1]) for r in rad],
                  "Lower": [int(r[2]) for r in rad], "EinsteinA": [float(r[3]) for r in rad],
                  "Frequency": [float(r[4]) for r in rad]}
            return None, rt, enl

        aql.parse_lamda_datafile, aql.Lamda = parse_lamda, None
        sys.path.insert(0, pomme_src)
        import torch
        from pomme.lines import Line
        pomme = Line("CO", 1, datafile=codat, molar_mass=28.0)
    except Exception as e:  # noqa: BLE001 - any failure means "no Pomme here"
        print(f"Pomme: cannot be used here ({type(e).__name__}: {e}); synobs' times are printed alone")
        pomme = None
else:
    print("Pomme: not given (POMME_SRC = none); synobs' times are printed alone")


def synobs_time(inp, out, threads, repeat, mode="line"):
    r = subprocess.run([synobs, "solve", "/dev/null", "-P", f"solve.input={inp}", "-P", f"solve.output={out}",
                        "-P", f"solve.threads={threads}", "-P", f"solve.repeat={repeat}", "-P", f"solve.mode={mode}"],
                       capture_output=True, text=True, env=env)
    if r.returncode:
        sys.exit(f"synobs solve failed:\n{r.stdout}\n{r.stderr}")
    return float(re.search(r"solve minimum time per image: ([0-9.e-]+)", r.stdout + r.stderr).group(1))


def pomme_image(m, threads):
    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    img = pomme.LTE_image_along_last_axis(abundance=m["n"], temperature=m["T"], v_turbulence=m["vt"],
                                          velocity_los=m["vz"], frequencies=m["f"], dx=m["dx"], img_bdy=m["ibdy"])
    return time.perf_counter() - t0, img.numpy()


def diff(I, R):
    """spec 16.4: E_rel over entries >= 1e-3 of the channel's peak, E_abs relative to the peak."""
    M = np.abs(R).max(axis=(0, 1))
    big = np.abs(R) >= 1e-3 * M
    return np.max(np.abs(I - R)[big] / np.abs(R)[big]), np.max(np.abs(I - R) / M)


def planck(T, nu):
    return 2 * 6.62607015e-34 / C**2 * nu**3 / np.expm1(6.62607015e-34 * nu / (1.380649e-23 * T))


rows = []
for N in sizes:
    d = f"gen{N}"
    if not os.path.exists(f"{d}/d.h5"):
        open(f"one{N}.par", "w").write(f"[generate]\noutput = {d}/d.h5\nmodels = 1\nviews = 1\ngrid = {N}\nseed = 7\n")
        subprocess.run([synobs, "generate", f"one{N}.par", "--quiet"], check=True, env=env)
    with h5py.File(f"{d}/d.h5") as f:
        x, dx = f["input"][0].astype(np.float64), float(f["dx"][0])
    vz, T, n = x[0], x[1], x[2]
    freq = 230.538e9 * (1 + (np.arange(NF) - 3) * 300.0 / C)
    rng = np.random.default_rng(20)
    vt_b = rng.uniform(150.0, 300.0, size=T.shape)
    # case c: n scaled to a largest optical depth of 30 (tau is linear in n)
    scale = None
    if pomme is not None:
        torch.set_num_threads(NCPU)
        pop = pomme.LTE_pops(torch.from_numpy(T))
        _, chi = pomme.emissivity_and_opacity_ij(pop)
        tau = pomme.optical_depth_along_last_axis(chi, torch.from_numpy(n), torch.from_numpy(T),
                                                  torch.full_like(torch.from_numpy(T), 150.0), torch.from_numpy(vz),
                                                  torch.from_numpy(freq), dx)
        scale = 30.0 / float(tau[1].max())  # (dtau, tau)
    cases = {
        "a": dict(vt=0.0, bdy="zero", n=n),
        "b": dict(vt=vt_b, bdy="zero", n=n),
        "c": dict(vt=150.0, bdy="cmb", n=n * (scale if scale else 1.0)),
    }
    for k, c in cases.items():
        with h5py.File(f"case{N}{k}.h5", "w") as m:
            m["v_z"], m["T"], m["n_CO"], m["frequencies"] = vz, T, c["n"], freq
            if np.ndim(c["vt"]):
                m["v_turb"] = c["vt"]
            else:
                m.attrs["v_turb"] = float(c["vt"])
            m.attrs["dx"], m.attrs["boundary"] = dx, np.bytes_(c["bdy"])
    if scale is None:
        print(f"{N}^3 case c: Pomme absent, n_CO left unscaled (tau_max not measured)")
    else:
        print(f"{N}^3 case c: n_CO x {scale:.4g} for tau_max = 30")
    npc = N**3 * NF
    rep = 11 if N <= 64 else 3
    for k, c in list(cases.items()) + [("d", None)]:
        inp = f"case{N}{'c' if k == 'd' else k}.h5"
        mode = "dust" if k == "d" else "line"
        ts = {1: [], NCPU: []}
        tp = {1: [], NCPU: []}
        img = None
        if pomme is not None and mode == "line":
            with h5py.File(inp) as f:
                pm = {"vz": torch.from_numpy(vz), "T": torch.from_numpy(T), "n": torch.from_numpy(f["n_CO"][()]),
                      "f": torch.from_numpy(freq), "dx": dx,
                      "vt": torch.from_numpy(f["v_turb"][()]) if "v_turb" in f else torch.full_like(torch.from_numpy(T), float(f.attrs["v_turb"])),
                      "ibdy": torch.from_numpy(planck(2.725, freq) if c["bdy"] == "cmb" else np.zeros(NF))}
        for r in range(rounds):
            for th in (1, NCPU):
                ts[th].append(synobs_time(inp, f"out{N}{k}_{th}.h5", th, rep, mode))
                if pomme is not None and mode == "line":
                    t, img = pomme_image(pm, th)
                    tp[th].append(t)
        line = f"{N}^3 x {NF} case {k} ({mode}):"
        # the fast solver against synobs' plain reference column (the arbiter), same input
        r = subprocess.run([synobs, "solve", "/dev/null", "-P", f"solve.input={inp}", "-P", f"solve.output=ref{N}{k}.h5",
                            "-P", "solve.engine=reference", "-P", f"solve.mode={mode}"], capture_output=True, text=True, env=env)
        if r.returncode:
            sys.exit(f"synobs solve (reference) failed:\n{r.stdout}\n{r.stderr}")
        with h5py.File(f"out{N}{k}_1.h5") as f, h5py.File(f"ref{N}{k}.h5") as g:
            er, ea = diff(f["I"][()], g["I"][()])
        line += f" fast vs reference E_rel {er:.2e} E_abs {ea:.2e};"
        if img is not None:
            with h5py.File(f"out{N}{k}_1.h5") as f:
                I = f["I"][()]
            er, ea = diff(I, img)
            line += f" synobs fast vs Pomme E_rel {er:.2e} E_abs {ea:.2e}, max|dI|/max|I| {np.max(np.abs(I - img)) / np.max(np.abs(img)):.2e};"
        print(line)
        for th in (1, NCPU):
            s = min(ts[th])
            msg = f"   {th} thread(s): synobs {s:.5f} s ({s / npc * 1e9:.2f} ns/point-channel)"
            if tp[th]:
                p = min(tp[th])
                msg += f", Pomme {p:.4f} s ({p / npc * 1e9:.1f} ns/point-channel), Pomme/synobs = {p / s:.1f}x"
            elif mode == "dust":
                msg += ", Pomme: no dust mode"
            else:
                msg += ", Pomme: not run"
            print(msg, flush=True)
