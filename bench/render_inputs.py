"""Bench inputs for bench/render.sh: N synthetic 512x512 16-bit CT slices (BitsStored 12, rescale
-1024, window 40/400), Explicit VR Little Endian, plus the same slices as JPEG 2000 lossless
(1.2.840.10008.1.2.4.90) made with openjpeg's `opj_compress` and encapsulated with pydicom.

    .venv/bin/python bench/render_inputs.py OUTDIR N
writes OUTDIR/raw/ct-000.dcm ... and OUTDIR/j2k/ct-000.dcm ...
"""
import os
import subprocess
import sys

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import ExplicitVRLittleEndian, JPEG2000Lossless, generate_uid

out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(f"{out}/raw", exist_ok=True)
os.makedirs(f"{out}/j2k", exist_ok=True)
os.makedirs(f"{out}/tmp", exist_ok=True)
yy, xx = np.mgrid[0:512, 0:512]
r = np.hypot(yy - 256, xx - 256)


def slice_pixels(i):
    rng = np.random.default_rng(i)
    hu = np.full((512, 512), -1000.0)  # air
    body = r < 220 + 10 * np.sin(i / 7)
    hu[body] = 40 + 15 * np.sin(xx[body] / 17.0 + i)  # soft tissue
    hu[(r > 200) & (r < 215)] = 700  # bone ring
    hu[np.hypot(yy - 200, xx - 300) < 30 + i % 10] = -50  # fat blob
    hu += rng.normal(0, 12, hu.shape)  # noise
    return np.clip(hu + 1024, 0, 4095).astype(np.uint16)


def dataset(i, pixels, ts):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ts
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "CT"
    ds.PatientName = "BENCH^RENDER"
    ds.PatientID = "BENCH"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.1"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.8.498.2"
    ds.InstanceNumber = i + 1
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = 512
    ds.Columns = 512
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.RescaleIntercept = "-1024"
    ds.RescaleSlope = "1"
    ds.WindowCenter = "40"
    ds.WindowWidth = "400"
    if ts == ExplicitVRLittleEndian:
        ds.PixelData = pixels.tobytes()
    else:
        raw = f"{out}/tmp/{i}.rawl"
        j2k = f"{out}/tmp/{i}.j2k"
        pixels.astype("<u2").tofile(raw)
        subprocess.run(
            ["opj_compress", "-i", raw, "-o", j2k, "-F", "512,512,1,12,u"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        with open(j2k, "rb") as f:
            ds.PixelData = encapsulate([f.read()])
        ds["PixelData"].VR = "OB"
    return ds


for i in range(n):
    px = slice_pixels(i)
    dataset(i, px, ExplicitVRLittleEndian).save_as(f"{out}/raw/ct-{i:03}.dcm", enforce_file_format=True)
    dataset(i, px, JPEG2000Lossless).save_as(f"{out}/j2k/ct-{i:03}.dcm", enforce_file_format=True)
