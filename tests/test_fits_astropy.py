#!/usr/bin/python3
"""synobs's FITS writer (io/fits.c) read by an independent reader, astropy.

`WRITER --write-sample DIR` (the test_fits executable) writes DIR/sample.fits; this script checks with
astropy.io.fits and astropy.wcs that the file is valid FITS, that the pixels are ours with the rows in
FITS order (astropy's data[0] is the bottom row, so data[::-1] is our top-row-first array), the header
keys, that astropy.wcs accepts the header and maps CRPIX to CRVAL with north up and east left, and that
the TRUTH_IMAGE and TRUTH extensions read back. The sample's content is fixed in tests/test_fits.c
(write_sample); keep the two in step. Prints PASS/FAIL lines; exit 0 only when all pass. Skipped
(exit 77, saying why) where numpy or astropy is missing.

usage: /usr/bin/python3 tests/test_fits_astropy.py --writer PATH/test_fits --workdir DIR
"""
import argparse
import os
import subprocess
import sys
import warnings

try:
    import numpy as np
    from astropy.io import fits
    from astropy.time import Time
    from astropy.wcs import WCS
except ImportError as e:
    print(f"SKIPPED: test_fits_astropy needs numpy and astropy ({e})")
    sys.exit(77)

# what write_sample in tests/test_fits.c writes
H, W = 6, 9
PIXEL_DEG = 2.0 / 150.0 / 3600.0  # fits_pixel_deg(2 AU, 150 pc)
CRVAL = (201.365, -43.019)
KEYS = {"BUNIT": "Jy/beam", "CTYPE1": "RA---SIN", "CTYPE2": "DEC--SIN", "CUNIT1": "deg", "CUNIT2": "deg",
        "CRVAL1": CRVAL[0], "CRVAL2": CRVAL[1], "CDELT1": -PIXEL_DEG, "CDELT2": PIXEL_DEG,
        "CRPIX1": (W + 1) / 2, "CRPIX2": (H + 1) / 2, "EQUINOX": 2000.0, "RADESYS": "ICRS",
        "BMAJ": 1e-5, "BMIN": 8e-6, "BPA": 30.0, "RESTFRQ": 230.538e9, "OBJECT": "sample binary",
        "DISTANCE": 150.0}
PRIMARY_ONLY = {"NOISE": 1e-4, "MASKSIG": 3.0, "ORIGIN": "synobs"}
TRUTH = [("mass_primary", 1.5, "Msun"), ("separation", 40.0, "AU"), ("inclination", 30.0, "deg")]

results = []


def check(what, ok, detail=""):
    results.append(bool(ok))
    print(f"{'PASS' if ok else 'FAIL'}: {what}" + (f" ({detail})" if detail else ""), flush=True)


def expected_images():
    truth = ((np.arange(H * W, dtype=np.float64) * 0.5 - 3.0).astype(np.float32)).reshape(H, W)
    image = truth + np.float32(0.25)
    image[1, 2] = np.nan
    return image, truth


def same_pixels(a, b):
    return a.shape == b.shape and bool(np.array_equal(np.isnan(a), np.isnan(b))) and \
        bool(np.array_equal(a[~np.isnan(a)], b[~np.isnan(b)]))


def check_keys(name, hdr, keys):
    for k, v in keys.items():
        got = hdr.get(k)
        ok = got is not None and (np.isclose(got, v, rtol=1e-14, atol=0) if isinstance(v, float) else got == v)
        check(f"{name}: {k} = {v!r}", ok, f"got {got!r}")


def check_wcs(name, hdr):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a header astropy has to patch up counts as a failure
        try:
            w = WCS(hdr)
        except Exception as e:  # noqa: BLE001 (any complaint fails the check)
            check(f"{name}: astropy.wcs accepts the header", False, repr(e))
            return
    check(f"{name}: astropy.wcs accepts the header", w.naxis == 2 and list(w.wcs.ctype) == ["RA---SIN", "DEC--SIN"],
          f"naxis {w.naxis}, ctype {list(w.wcs.ctype)}")
    ra, dec = w.wcs_pix2world([[hdr["CRPIX1"], hdr["CRPIX2"]]], 1)[0]
    check(f"{name}: pixel CRPIX maps to CRVAL", abs(ra - CRVAL[0]) < 1e-9 and abs(dec - CRVAL[1]) < 1e-9,
          f"got ({ra}, {dec})")
    # east left: one pixel right is smaller RA; north up: our row 0, FITS row H, has the largest Dec
    c = w.wcs_pix2world([[1, 1], [2, 1], [1, H]], 1)
    check(f"{name}: RA grows to the left", c[1][0] < c[0][0], f"RA {c[0][0]} then {c[1][0]}")
    check(f"{name}: Dec grows upwards (FITS row H is our row 0)", c[2][1] > c[0][1], f"Dec {c[0][1]} to {c[2][1]}")
    step = abs(c[1][1] - c[0][1]) + abs((c[1][0] - c[0][0]) * np.cos(np.radians(c[0][1])))
    check(f"{name}: a pixel step is {PIXEL_DEG:.3e} deg", np.isclose(step, PIXEL_DEG, rtol=1e-6), f"got {step:.6e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--writer", required=True, help="the test_fits executable")
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    path = os.path.join(a.workdir, "sample.fits")
    for p in (path, path + ".partial"):
        if os.path.exists(p):
            os.remove(p)
    run = subprocess.run([a.writer, "--write-sample", a.workdir], capture_output=True, text=True, timeout=120)
    check("the writer exits 0", run.returncode == 0, f"status {run.returncode}: {run.stderr.strip()}")
    check("sample.fits written, no .partial left", os.path.exists(path) and not os.path.exists(path + ".partial"))
    if not os.path.exists(path):
        print("FAIL: test_fits_astropy, no file to check")
        return 1

    image, truth_image = expected_images()
    with fits.open(path) as hdul:
        try:
            hdul.verify("exception")
            check("astropy finds the file standard-conforming", True)
        except Exception as e:  # noqa: BLE001
            check("astropy finds the file standard-conforming", False, repr(e))
        check("three HDUs: image, TRUTH_IMAGE, TRUTH", [h.name for h in hdul] == ["PRIMARY", "TRUTH_IMAGE", "TRUTH"],
              f"got {[h.name for h in hdul]}")

        p = hdul[0]
        hdr = p.header
        check("primary: BITPIX -32, NAXIS 2, NAXIS1 = W, NAXIS2 = H",
              (hdr["BITPIX"], hdr["NAXIS"], hdr["NAXIS1"], hdr["NAXIS2"]) == (-32, 2, W, H),
              f"got {(hdr['BITPIX'], hdr['NAXIS'], hdr['NAXIS1'], hdr['NAXIS2'])}")
        check("primary: data[::-1] equals our array (NaN kept)", same_pixels(p.data[::-1], image))
        check("primary: data[0], the bottom row, is our last row", same_pixels(p.data[0], image[-1]))
        check_keys("primary", hdr, {**KEYS, **PRIMARY_ONLY})
        try:
            Time(hdr["DATE"], format="isot")
            check("primary: DATE is an ISO time", True, hdr["DATE"])
        except Exception as e:  # noqa: BLE001
            check("primary: DATE is an ISO time", False, repr(e))
        history = " ".join(str(h).strip() for h in hdr.get("HISTORY", []))
        check("primary: HISTORY holds both lines, the long one wrapped",
              "a sample for the astropy check" in history and "72 characters of text at most." in history
              and len(hdr["HISTORY"]) >= 3, f"{len(hdr.get('HISTORY', []))} cards")
        check_wcs("primary", hdr)

        t = hdul["TRUTH_IMAGE"]
        check("TRUTH_IMAGE: data[::-1] equals the noiseless array", same_pixels(t.data[::-1], truth_image))
        check_keys("TRUTH_IMAGE", t.header, KEYS)
        check_wcs("TRUTH_IMAGE", t.header)

        tab = hdul["TRUTH"]
        check("TRUTH: a binary table of one row", isinstance(tab, fits.BinTableHDU) and len(tab.data) == 1,
              f"{type(tab).__name__}, {len(tab.data)} rows")
        check("TRUTH: the columns", tab.columns.names == [n for n, _, _ in TRUTH], f"got {tab.columns.names}")
        for name, value, unit in TRUTH:
            col = tab.columns[name] if name in tab.columns.names else None
            check(f"TRUTH: {name} = {value} {unit}",
                  col is not None and col.format == "D" and col.unit == unit and tab.data[name][0] == value,
                  "missing" if col is None else f"got {tab.data[name][0]} {col.unit}, format {col.format}")

    bad = results.count(False)
    print(f"{'PASS' if not bad else 'FAIL'}: test_fits_astropy, {len(results) - bad} of {len(results)} checks passed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
