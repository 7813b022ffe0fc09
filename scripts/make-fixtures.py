#!/usr/bin/env python3
"""Make the small DICOM fixtures in testdata/ (run with the project venv: .venv/bin/python).

Everything here is synthetic: invented patients, generated pixels. The files are committed so
the demo and tests run without network; re-running this script rewrites them identically.
"""
import io
import os
import zipfile

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata")
ROOT = "1.2.826.0.1.3680043.10.1338."  # fixed prefix, fixed suffixes: reproducible UIDs


def base(sop_class, n, modality, name, charset=None):
    ds = Dataset()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = ROOT + f"1.{n}"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = ROOT + "0"
    meta.ImplementationVersionName = "DICOMKIT_FIX"
    ds.file_meta = meta
    if charset:
        ds.SpecificCharacterSet = charset
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyDate = "20260101"
    ds.StudyTime = "101500"
    ds.Modality = modality
    ds.PatientName = name
    ds.PatientID = f"DK{n:04d}"
    ds.PatientBirthDate = "19700101"
    ds.StudyInstanceUID = ROOT + f"2.{n}"
    ds.SeriesInstanceUID = ROOT + f"3.{n}"
    ds.StudyDescription = "dicomkit fixture"
    return ds


def image(ds, rows, cols):
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = rows
    ds.Columns = cols
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.WindowCenter = "2048"
    ds.WindowWidth = "4096"
    ds.PixelData = bytes(
        b for y in range(rows) for x in range(cols) for b in ((x * 256 + y * 16) & 0x0FFF).to_bytes(2, "little")
    )


def save(ds, name, implicit=False):
    if implicit:
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    path = os.path.join(OUT, name)
    ds.save_as(path, enforce_file_format=True)
    return path


def main():
    os.makedirs(OUT, exist_ok=True)
    ct = base("1.2.840.10008.5.1.4.1.1.2", 1, "CT", "Müller^Jürgen", "ISO_IR 100")
    ct.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ct.PixelSpacing = [0.5, 0.5]
    image(ct, 16, 16)
    code = Dataset()
    code.CodeValue = "CTHEAD"
    code.CodingSchemeDesignator = "99DK"
    code.CodeMeaning = "CT Kopf"
    ct.ProcedureCodeSequence = Sequence([code])
    save(ct, "ct_latin1.dcm")

    mr = base("1.2.840.10008.5.1.4.1.1.4", 2, "MR", "Yamada^Tarou=\u5c71\u7530^\u592a\u90ce=\u3084\u307e\u3060^\u305f\u308d\u3046",
              ["", "ISO 2022 IR 87"])
    image(mr, 8, 8)
    save(mr, "mr_iso2022_jp.dcm", implicit=True)

    us = base("1.2.840.10008.5.1.4.1.1.7", 3, "OT", "\u041b\u044e\u043a\u0441\u0435\u043c\u0431\u0443\u0440\u0433^\u0414\u0430\u0440\u044c\u044f", "ISO_IR 192")
    image(us, 4, 4)
    save(us, "sc_utf8.dcm")

    # A zip of the three, as PACS exports and DICOMaestro uploads come.
    with zipfile.ZipFile(os.path.join(OUT, "study.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        for name in ["ct_latin1.dcm", "mr_iso2022_jp.dcm", "sc_utf8.dcm"]:
            info = zipfile.ZipInfo(f"study/{name}", date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(os.path.join(OUT, name), "rb") as f:
                z.writestr(info, f.read())
        z.writestr(zipfile.ZipInfo("study/README.txt", date_time=(2026, 1, 1, 0, 0, 0)), "not DICOM: skipped\n")


if __name__ == "__main__":
    main()


def ecg_fixture():
    """A synthetic 12-lead ECG (72 bpm Gaussian P-QRS-T beats, 250 Hz, 5 s) as HL7 aECG XML."""
    import math
    rate, seconds, bpm = 250, 5, 72
    n = rate * seconds
    # amplitude (µV) of P, Q, R, S, T per lead, roughly physiological shapes
    leads = {
        "I": (80, -40, 700, -100, 200), "II": (120, -60, 1100, -150, 300), "III": (40, -20, 400, -50, 100),
        "AVR": (-100, 50, -900, 120, -250), "AVL": (20, -10, 150, -25, 50), "AVF": (80, -40, 750, -100, 200),
        "V1": (60, 0, 300, -900, -100), "V2": (80, 0, 600, -1200, 300), "V3": (80, -50, 900, -800, 400),
        "V4": (80, -80, 1400, -400, 450), "V5": (80, -80, 1300, -200, 350), "V6": (80, -60, 1000, -100, 250),
    }
    beat = 60.0 / bpm
    def value(amps, t):
        tb = t % beat
        waves = [(0.16, 0.025), (0.23, 0.010), (0.25, 0.012), (0.27, 0.010), (0.50, 0.040)]
        return sum(a * math.exp(-((tb - c) ** 2) / (2 * w * w)) for a, (c, w) in zip(amps, waves))
    seqs = []
    for name, amps in leads.items():
        digits = " ".join(str(round(value(amps, i / rate) / 5.0)) for i in range(n))
        seqs.append(f"""            <component><sequence>
              <code code="MDC_ECG_LEAD_{name}" codeSystem="2.16.840.1.113883.6.24"/>
              <value xsi:type="SLIST_PQ"><origin value="0" unit="uV"/><scale value="5" unit="uV"/>
                <digits>{digits}</digits></value>
            </sequence></component>""")
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- synthetic ECG made by scripts/make-fixtures.py: 72 bpm Gaussian beats, invented patient -->
<AnnotatedECG xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <id root="2.25.1338"/>
  <code code="93000" codeSystem="2.16.840.1.113883.6.12"/>
  <effectiveTime><center value="20260101101500"/></effectiveTime>
  <componentOf><timepointEvent><componentOf><subjectAssignment><subject><trialSubject>
    <id root="2.25.1338" extension="ECG001"/>
    <subjectDemographicPerson><name><family>SYNTH</family><given>ECG</given></name>
      <administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/><birthTime value="19800101"/>
    </subjectDemographicPerson>
  </trialSubject></subject></subjectAssignment></componentOf></timepointEvent></componentOf>
  <component><series>
    <code code="RHYTHM" codeSystem="2.16.840.1.113883.5.4"/>
    <effectiveTime><low value="20260101101500"/><high value="20260101101505"/></effectiveTime>
    <component><sequenceSet>
            <component><sequence>
              <code code="TIME_ABSOLUTE" codeSystem="2.16.840.1.113883.5.4"/>
              <value xsi:type="GLIST_TS"><head value="20260101101500.000"/><increment value="{1 / rate}" unit="s"/></value>
            </sequence></component>
{chr(10).join(seqs)}
    </sequenceSet></component>
  </series></component>
</AnnotatedECG>
"""
    with open(os.path.join(OUT, "ecg_synthetic.xml"), "w") as f:
        f.write(xml)


ecg_fixture()
