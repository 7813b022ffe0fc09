#!/usr/bin/env python3
"""Make the synthetic SCP-ECG fixtures in testdata/ (standard library only).

    python3 scripts/make-scp-fixtures.py [OUT_DIR]      (default: testdata/ of the project)

They reproduce a real vendor quirk: Contec / "ECG Viewer" SCP-ECG files write the Section 3 lead
ranges 0-based with an exclusive end (start 0, end N, N samples stored) where the standard has
1-based inclusive ranges (start 1, end N).

* contec_exclusive_end.scp: 8 leads (I, II, V1-V6), 500 Hz, start 0 / end 5000, 5000 samples of
  each lead stored as raw 16-bit values (no Section 2, so no Huffman coding, as the standard
  says for a record without it), AVM 5000 nV, no reference beat. Correct CRCs everywhere.
* contec_count_mismatch.scp: the same ranges, but each lead holds 4998 samples: the count matches
  neither the inclusive (5001) nor the exclusive (5000) reading.

Sample k of lead j (0-based) is ((k * (j + 3)) % 2001) - 1000 units, i.e. 5 µV per unit. Nothing
here comes from a real person or device. Re-running writes the files byte for byte identically.
"""
import binascii
import os
import struct
import sys

LEADS = [1, 2, 3, 4, 5, 6, 7, 8]  # SCP lead ids: I, II, V1..V6
END = 5000
INTERVAL_US = 2000  # 500 Hz
AVM_NV = 5000


def sample(j, k):
    return ((k * (j + 3)) % 2001) - 1000


def section(sid, body):
    """A section: CRC, id, length, section/protocol version 2.0, reserved."""
    head = struct.pack("<HIBB", sid, 16 + len(body), 20, 20)
    head += b"SCPECG" if sid == 0 else b"\0" * 6
    data = head + body
    return struct.pack("<H", binascii.crc_hqx(data, 0xFFFF)) + data


def tag(t, value):
    return struct.pack("<BH", t, len(value)) + value


def record(stored):
    s1 = tag(2, b"CONTEC-FIXTURE\0")
    s1 += tag(0, b"Fixture\0")
    # Machine ID (tag 14): institution, department and device ids, device type, manufacturer
    # code 0 (other), model "ECG90", protocol revision 20, compatibility 0x90, language 0 (ASCII),
    # capabilities, mains, 16 reserved bytes, then (byte 35) the length of the analysing program
    # revision and from byte 36 the NUL-terminated texts: revision, serial number, device
    # software, SCP implementation software, manufacturer.
    machine = struct.pack("<HHHBB", 0, 0, 0, 0, 0) + b"ECG90\0"
    machine += bytes([20, 0x90, 0, 0, 0]) + b"\0" * 16 + bytes([1])
    machine += b"\0" + b"SN-1\0" + b"ECG Viewer\0" + b"\0" + b"Contec\0"
    s1 += tag(14, machine)
    s1 += tag(25, struct.pack("<HBB", 2024, 5, 6))
    s1 += tag(26, struct.pack("<BBB", 7, 8, 9))
    s1 += tag(255, b"")

    s3 = struct.pack("<BB", len(LEADS), 0x04 | (len(LEADS) << 3))  # all simultaneous
    for lead in LEADS:
        s3 += struct.pack("<IIB", 0, END, lead)

    s6 = struct.pack("<HHBB", AVM_NV, INTERVAL_US, 0, 0)
    s6 += b"".join(struct.pack("<H", 2 * stored) for _ in LEADS)
    for j in range(len(LEADS)):
        s6 += b"".join(struct.pack("<h", sample(j, k)) for k in range(stored))

    bodies = {1: s1, 3: s3, 6: s6}
    sec0_len = 16 + 10 * 12
    pointers = b""
    index = 6 + 1  # 1-based byte offset of Section 0
    pointers += struct.pack("<HII", 0, sec0_len, index)
    index += sec0_len
    parts = []
    for sid in range(1, 12):
        if sid in bodies:
            sec = section(sid, bodies[sid])
            pointers += struct.pack("<HII", sid, len(sec), index)
            index += len(sec)
            parts.append(sec)
        else:
            pointers += struct.pack("<HII", sid, 0, 0)
    rest = section(0, pointers) + b"".join(parts)
    body = struct.pack("<I", 6 + len(rest)) + rest
    return struct.pack("<H", binascii.crc_hqx(body, 0xFFFF)) + body


def write(path, data):
    """Write via a temporary file in the same folder, then rename (never half a file)."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "testdata")
    write(os.path.join(out, "contec_exclusive_end.scp"), record(END))
    write(os.path.join(out, "contec_count_mismatch.scp"), record(END - 2))


if __name__ == "__main__":
    main()
