#!/usr/bin/env python3
"""pydicom oracle for tests/pixels.rs: decode FILE with pydicom 3 (numpy) and print the
RGB frame(s) as the display sees them: palettes through apply_color_lut, YBR_FULL /
YBR_FULL_422 through convert_color_space(..., "RGB").

Output: one text line "frames rows columns max", then every sample as unsigned 16-bit
little endian, frame by frame, interleaved RGB.
"""
import sys

import numpy as np
from pydicom import dcmread
from pydicom.pixels import apply_color_lut, convert_color_space, pixel_array


def main() -> None:
    ds = dcmread(sys.argv[1], force=True)
    if not hasattr(ds, "file_meta") or "TransferSyntaxUID" not in ds.file_meta:
        from pydicom.dataset import FileMetaDataset
        from pydicom.uid import ImplicitVRLittleEndian

        ds.file_meta = getattr(ds, "file_meta", None) or FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    # Stored values, YBR kept (pydicom 3's ds.pixel_array would convert YBR already).
    arr = pixel_array(ds, as_rgb=False)
    pi = ds.PhotometricInterpretation
    if pi == "PALETTE COLOR":
        arr = apply_color_lut(arr, ds)
    elif pi.startswith("YBR_FULL"):
        arr = convert_color_space(arr, "YBR_FULL", "RGB")
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    if frames == 1:
        arr = arr[np.newaxis, ...]
    top = 255 if arr.dtype == np.uint8 else 65535
    sys.stdout.write(f"{frames} {ds.Rows} {ds.Columns} {top}\n")
    sys.stdout.flush()
    sys.stdout.buffer.write(arr.astype("<u2").tobytes())


if __name__ == "__main__":
    main()
