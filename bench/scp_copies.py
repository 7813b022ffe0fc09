"""Write N copies of an SCP-ECG record with distinct patient IDs (SBJ-123 -> P000000...), each
with its section CRCs and record CRC made right again, so that strict reading accepts them.

usage: python3 bench/scp_copies.py Example.scp OUTDIR N   -> OUTDIR/ecg00000.scp ...
"""
import binascii
import struct
import sys


def fix(b):
    # the section CRCs (through the Section 0 pointer table), then the record CRC
    b = bytearray(b)
    for p in range(22, 6 + struct.unpack_from("<I", b, 10)[0], 10):
        _, ln, idx = struct.unpack_from("<HII", b, p)
        if ln:
            struct.pack_into("<H", b, idx - 1, binascii.crc_hqx(bytes(b[idx + 1:idx - 1 + ln]), 0xFFFF))
    struct.pack_into("<H", b, 0, binascii.crc_hqx(bytes(b[2:]), 0xFFFF))
    return bytes(b)


src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
b = open(src, "rb").read()
at = b.index(b"SBJ-123")
for i in range(n):
    open(f"{out}/ecg{i:05d}.scp", "wb").write(fix(b[:at] + f"P{i:06d}".encode() + b[at + 7:]))
