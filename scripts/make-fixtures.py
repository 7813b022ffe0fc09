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
