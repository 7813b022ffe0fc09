#!/usr/bin/env python3
"""Write N small CT instances of one study (patient BENCH001) into DIR, for the move benchmark.

Usage: .venv/bin/python bench/gen_instances.py N DIR   (prints the StudyInstanceUID)
"""
import os
import sys

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

n, out = int(sys.argv[1]), sys.argv[2]
os.makedirs(out, exist_ok=True)
root = "2.25.31415926535897932384626"
study = root + ".1"
for i in range(n):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.file_meta.MediaStorageSOPInstanceUID = f"{root}.3.{i + 1}"
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.PatientName = "BENCH^MARK"
    ds.PatientID = "BENCH001"
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = f"{root}.2.{i // 250 + 1}"
    ds.StudyDate = "20260101"
    ds.StudyTime = "120000"
    ds.Modality = "CT"
    ds.InstanceNumber = i + 1
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = 64
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.PixelData = bytes((i + k) & 0xFF for k in range(64 * 64 * 2))
    ds.save_as(os.path.join(out, f"{i + 1:05d}.dcm"), enforce_file_format=True)
print(study)
