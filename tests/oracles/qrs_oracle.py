#!/usr/bin/env python3
"""Independent QRS detectors for tests/ecg_measure.rs: wfdb 4.3.1 XQRS and neurokit2 0.2.13.

usage: qrs_oracle.py PATH [--lead NAME] [--repeat N]

PATH is a WFDB header (.hea, .dat or .mat signals), a DICOM waveform (.dcm, read with pydicom)
or the scipy MIT-BIH excerpt (a NumPy .npz with key `ecg`, uint16, mV = (x - 1024) / 200,
360 Hz). One lead is used (default II; the excerpt has one). Signals above 500 Hz are
resampled to 250 Hz for the detectors and the beats mapped back to the input's sample index.
Prints one JSON object: fs, lead, n, and per detector its beat sample indices, the heart rate
(60 / median RR) and the seconds it took per run (best of --repeat runs).
"""
import json
import sys
import time

import numpy as np


def load(path, lead):
    if path.endswith(".hea"):
        import wfdb

        rec = wfdb.rdrecord(path[:-4])
        names = [n.strip() for n in rec.sig_name]
        i = names.index(lead) if lead in names else 0
        return rec.p_signal[:, i].astype(float), float(rec.fs), names[i]
    if path.endswith(".dcm"):
        import pydicom

        ds = pydicom.dcmread(path)
        wf = ds.WaveformSequence[0]
        arr = ds.waveform_array(0)  # samples x channels, in the channel's units (uV here)
        names = []
        for ch in wf.ChannelDefinitionSequence:
            meaning = ch.ChannelSourceSequence[0].CodeMeaning
            names.append(meaning.replace("Lead ", "").split(" ")[0])
        i = names.index(lead) if lead in names else 1
        return arr[:, i].astype(float) / 1000.0, float(wf.SamplingFrequency), names[i]
    data = np.load(path)
    x = (data["ecg"].astype(float) - 1024.0) / 200.0
    return x, 360.0, "MLII"


def hr(beats, fs):
    if len(beats) < 2:
        return None
    return 60.0 / (float(np.median(np.diff(beats))) / fs)


def main():
    args = sys.argv[1:]
    path = args[0]
    lead = args[args.index("--lead") + 1] if "--lead" in args else "II"
    repeat = int(args[args.index("--repeat") + 1]) if "--repeat" in args else 1
    x, fs, name = load(path, lead)
    fs_det, factor = fs, 1.0
    if fs > 500:
        from scipy.signal import resample_poly

        x_det = resample_poly(x, 250, int(round(fs)))
        fs_det, factor = 250.0, fs / 250.0
    else:
        x_det = x

    import logging

    logging.disable(logging.WARNING)
    import wfdb.processing
    import neurokit2 as nk

    def xqrs():
        d = wfdb.processing.XQRS(sig=x_det, fs=fs_det)
        d.detect(verbose=False)
        return np.asarray(d.qrs_inds)

    def neurokit():
        clean = nk.ecg_clean(x_det, sampling_rate=int(round(fs_det)), method="neurokit")
        _, info = nk.ecg_peaks(clean, sampling_rate=int(round(fs_det)), method="neurokit")
        return np.asarray(info["ECG_R_Peaks"])

    out = {"fs": fs, "lead": name, "n": int(len(x)), "detectors": {}}
    for label, fn in (("xqrs", xqrs), ("neurokit", neurokit)):
        best = None
        for _ in range(max(repeat, 1)):
            t = time.perf_counter()
            beats = fn()
            dt = time.perf_counter() - t
            best = dt if best is None else min(best, dt)
        beats = [int(round(b * factor)) for b in beats]
        out["detectors"][label] = {"beats": beats, "hr_bpm": hr(beats, fs), "seconds": best}
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
