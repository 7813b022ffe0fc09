"""The default read-out rules of `dicomkit interpret`, in pandas: the peer of bench/interpret.sh.

usage: interpret_pandas.py IN.csv OUT.csv

IN.csv: ecg-infer's columns (source, record_id, the 17 label probabilities) and hr_bpm.
OUT.csv: the same columns and bytes as `dicomkit interpret --signal never IN.csv --format csv`
(the benchmark compares them). pandas reads and writes the CSV and computes the numeric parts
column-wise (label masks, rounding, rate bands); the read-out itself (which labels fired, the
rate logic, the words of the findings and reasons) is per-row branching logic, done row by row
over the itertuples of the frame.
"""
import csv
import math
import sys

import numpy as np
import pandas as pd

# (column, text, threshold, group, severity, role) — dicomkit's defaults (src/interpret/rules.rs)
RULES = [
    ("poor_data_quality", "Poor data quality", 0.5, "other", "minor", "quality"),
    ("sinus_rhythm", "Sinus rhythm", 0.5, "rhythm", "normal", "sinus"),
    ("premature_ventricular_contraction", "Premature ventricular contraction", 0.5, "rhythm", "minor", "finding"),
    ("tachycardia", "Tachycardia", 0.5, "rhythm", "moderate", "tachy"),
    ("ventricular_tachycardia", "Ventricular tachycardia", 0.5, "rhythm", "critical", "finding"),
    ("supraventricular_tachycardia_with_aberrancy", "Supraventricular tachycardia with aberrancy", 0.5, "rhythm", "severe", "finding"),
    ("atrial_fibrillation", "Atrial fibrillation", 0.5, "rhythm", "moderate", "finding"),
    ("atrial_flutter", "Atrial flutter", 0.5, "rhythm", "moderate", "finding"),
    ("bradycardia", "Bradycardia", 0.5, "rhythm", "moderate", "brady"),
    ("accessory_pathway_conduction", "Accessory pathway conduction", 0.5, "conduction", "moderate", "finding"),
    ("atrioventricular_block", "Atrioventricular block", 0.5, "conduction", "severe", "finding"),
    ("1st_degree_atrioventricular_block", "1st degree atrioventricular block", 0.5, "conduction", "minor", "finding"),
    ("bifascicular_block", "Bifascicular block", 0.5, "conduction", "moderate", "finding"),
    ("right_bundle_branch_block", "Right bundle branch block", 0.5, "conduction", "minor", "finding"),
    ("left_bundle_branch_block", "Left bundle branch block", 0.5, "conduction", "moderate", "finding"),
    ("infarction", "Infarction", 0.5, "ischemia", "severe", "finding"),
    ("electronic_pacemaker", "Electronic pacemaker", 0.5, "other", "minor", "finding"),
]
SEV = ["normal", "minor", "moderate", "severe", "critical"]
RANK = {s: i for i, s in enumerate(SEV)}
GROUPS = ["rhythm", "conduction", "ischemia", "structural", "other"]
TACHY_ABOVE, BRADY_BELOW = 100.0, 60.0
# (kind, bound, severity, description), first match wins
BANDS = [("below", 40, "critical", "< 40"), ("below", 50, "moderate", "< 50"), ("below", 60, "minor", "< 60"),
         ("upto", 100, "normal", "<= 100"), ("upto", 120, "minor", "<= 120"), ("upto", 150, "moderate", "<= 150"),
         ("above", 150, "critical", "> 150")]
COLUMNS = ["source", "record_id", "hr_bpm", "hr_source", "rr_irregularity", "pr_ms", "qrs_ms", "qt_ms",
           "qtc_bazett_ms", "qtc_fridericia_ms", "primary_finding", "severity", "confidence", "rhythm",
           "conduction", "ischemia", "structural", "other", "reasons", "error"]


def band(hr):
    for kind, bound, sev, desc in BANDS:
        if (kind == "below" and hr < bound) or (kind == "upto" and hr <= bound) or (kind == "above" and hr > bound):
            return sev, desc
    return None


def p2(c):  # c = round(p*100) as int
    return f"{c // 100}.{c % 100:02d}"


def bpm(d):  # d = round(hr*10) as int
    return f"{d // 10}" if d % 10 == 0 else f"{d // 10}.{d % 10}"


def read_out(pcent, pos, hr, hr_d):
    findings = []  # (text, group, severity, rate, quality, order)
    reasons = []
    contradicted = []
    quality = tachy = brady = sinus = False
    hs = bpm(hr_d) if hr is not None else None
    for i, (col, text, thr, group, sev, role) in enumerate(RULES):
        if not pos[i]:
            continue
        fired = f"{col} {p2(pcent[i])} >= {p2(round(thr * 100))}"
        label = f"{text} ({p2(pcent[i])})"
        if role == "quality":
            quality = True
            reasons.insert(0, fired + ": poor data quality, confidence low, read with care")
            findings.append((label, group, sev, False, True, i))
            continue
        if role in ("tachy", "brady"):
            is_t = role == "tachy"
            if hr is not None:
                ok = hr > TACHY_ABOVE if is_t else hr < BRADY_BELOW
                if not ok:
                    limit = "not above 100" if is_t else "not below 60"
                    contradicted.append(f"{text} label contradicted by measured HR {hs} bpm")
                    reasons.append(f"{fired} but measured HR {hs} bpm is {limit}: {text.lower()} label contradicted, not counted")
                    continue
                reasons.append(f"{fired}, confirmed by measured HR {hs} bpm")
            else:
                reasons.append(f"{fired} -> {group}, {sev} (rate not measured)")
            if is_t:
                tachy = True
            else:
                brady = True
        else:
            if role == "sinus":
                sinus = True
            reasons.append(f"{fired} -> {group}, {sev}")
        findings.append((label, group, sev, role != "finding", False, i))
    if hr is not None:
        b = band(hr)
        if hr > TACHY_ABOVE and not tachy:
            reasons.append(f"measured HR {hs} bpm > 100: tachycardia by rate")
            findings.append((f"Tachycardia (measured HR {hs} bpm)", "rhythm", b[0] if b else "minor", True, False, 3))
            tachy = True
        elif hr < BRADY_BELOW and not brady:
            reasons.append(f"measured HR {hs} bpm < 60: bradycardia by rate")
            findings.append((f"Bradycardia (measured HR {hs} bpm)", "rhythm", b[0] if b else "minor", True, False, 8))
            brady = True
    b = band(hr) if hr is not None else None
    clinical = [f for f in findings if not f[3] and not f[4]]
    if not clinical:
        if b is not None:
            reasons.append(f"only rate/rhythm findings: measured HR {hs} bpm is in band {b[1]} -> {b[0]}")
            severity = b[0]
        else:
            rates = [RANK[f[2]] for f in findings if f[3]]
            severity = SEV[max(rates)] if rates else "normal"
    else:
        worst = max(RANK[f[2]] for f in clinical)
        severity = SEV[worst]
        if b is not None and RANK[b[0]] > worst:
            reasons.append(f"measured HR {hs} bpm is in band {b[1]} -> {b[0]}, above the findings' {SEV[worst]}")
            severity = b[0]
    if clinical:
        top = max(clinical, key=lambda f: (RANK[f[2]], -f[5]))
        primary = top[0][: top[0].rfind(" (")]
    elif sinus and tachy:
        primary = "Sinus tachycardia"
    elif sinus and brady:
        primary = "Sinus bradycardia"
    elif tachy:
        primary = "Tachycardia"
    elif brady:
        primary = "Bradycardia"
    elif sinus:
        primary = "Sinus rhythm"
    elif findings:
        primary = findings[0][0][: findings[0][0].rfind(" (")]
    else:
        primary = "No finding"
    groups = []
    for g in GROUPS:
        items = [f[0] for f in findings if f[1] == g]
        if g == "rhythm":
            items += contradicted
        groups.append("; ".join(items))
    if not reasons:
        reasons.append("no label reached its threshold")
    return primary, severity, "low" if quality else "normal", groups, "; ".join(reasons)


def main():
    src, dst = sys.argv[1:3]
    df = pd.read_csv(src, dtype={"source": str, "record_id": str}, keep_default_na=False,
                     na_values={"hr_bpm": [""]})
    cols = [r[0] for r in RULES]
    probs = df[cols].to_numpy(dtype=np.float64)
    pos = probs >= np.array([r[2] for r in RULES])
    pcent = np.floor(probs * 100 + 0.5).astype(np.int64)  # half away from zero (p >= 0)
    hr = df["hr_bpm"].to_numpy(dtype=np.float64)
    hr_d = np.floor(hr * 10 + 0.5)
    hr_out = hr_d / 10
    with open(dst, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        for k, row in enumerate(df[["source", "record_id"]].itertuples(index=False, name=None)):
            h = hr[k]
            has_hr = not math.isnan(h)
            primary, sev, conf, groups, reasons = read_out(
                pcent[k], pos[k], h if has_hr else None, int(hr_d[k]) if has_hr else 0)
            hv = hr_out[k]
            hr_text = ("%d" % hv if hv == int(hv) else repr(float(hv))) if has_hr else ""
            w.writerow([row[0], row[1], hr_text, "column" if has_hr else "", "", "", "", "", "", "",
                        primary, sev, conf, *groups, reasons, ""])


if __name__ == "__main__":
    main()
