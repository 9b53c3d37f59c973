"""real_fotaq on a queen.1c-style bundle this test writes itself (CI has no game): a dialogue, a
cutscene, Joe's remarks, speech clips made of silent MPEG-2.5 layer III frames."""
import argparse
import os
import shutil
import struct
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import real_fotaq as rf  # noqa: E402
import realspeech  # noqa: E402

MP3_FRAME = bytes([0xFF, 0xE3, 0x20, 0xC4]) + bytes(100)  # MPEG-2.5 L3, 16 kbit/s, 11 025 Hz, mono: 576 samples


def be(*v: int) -> bytes:
    return struct.pack(f">{len(v)}h", *v)


def pstr(s: str, align: int = 2, at: int = 0) -> bytes:
    """A length-prefixed string placed at body offset `at`, padded as the engine's reader skips."""
    if not s:
        return b"\0"
    raw = bytes([len(s)]) + s.encode("latin-1")
    end = (at + len(raw) + align - 1) & ~(align - 1)
    return raw + bytes(end - at - len(raw))


def dog(key: int, joe: list[tuple[int, str]], person: list[tuple[int, str]], again=("0", "0")) -> bytes:
    """A .DOG: one dialogue level; Joe's list starts with his opening line (id 0)."""
    levels = 1
    joe_off = 32 + levels * 96
    body = bytearray(joe_off)
    for ident, text in joe:
        body += b"\0\0" + be(ident)
        body += pstr(text, 4, len(body))
    p1 = len(body)
    for ident, text in person:
        body += b"\0\0" + be(ident)
        body += pstr(text, 4, len(body))
    p2 = len(body)
    body += pstr(again[0], 2, len(body))
    body += pstr(again[1], 2, len(body))
    cut = len(body)
    body += be(0, 1) + b"\0"
    struct.pack_into(">10h", body, 0, levels, 99, key, len(joe), len(person), 0, 0, 0, 0, 0)
    struct.pack_into(">3H", body, 22, p1, cut, p2)
    return bytes(20) + bytes(body)


def cut(objects: list[tuple[int, str]]) -> bytes:
    """A .CUT whose records are persons (no animation): (object number, sentence)."""
    recs = b""
    for num, _ in objects:
        recs += be(num, *([0] * 16)) + be(0)  # 17 fields, no persons turned on
    body = bytearray(be(0, len(objects), 0, 0, 0, 0)) + recs
    banks = len(body)
    body += be(0) + b"\0" + b"\0" + be(0)  # no bank names, no talk file, talk-to 0
    sentences = len(body)
    body += pstr("*FL", 2, len(body))      # entry string: Joe's facing, never spoken
    for _, s in objects:
        body += pstr(s, 2, len(body))
    struct.pack_into(">3H", body, 6, len(body), sentences, banks)
    return bytes(20) + bytes(body)


def jas(descriptions: list[str], dog_desc: int, person_obj: int) -> tuple[bytes, bytes]:
    """QUEEN.JAS with one room, two objects (a table, a person) and one actor; a command whose
    game state speaks description `dog_desc` (a .DOG name) on object `person_obj`; and QUEEN2.JAS."""
    objects = [(1, 0, 0, 1, 0, 1, 0, 1), (2, 0, 0, 2, 0, 1, 0, -3)]
    b = be(1, 2, len(objects), len(descriptions))
    for o in objects:
        b += be(*o)
    b += be(0, len(objects))         # room data
    b += be(0)                       # room sound effect
    b += be(0) + be(0)               # no items, no graphics
    b += be(2, 0)                    # room 1: object max, no areas
    b += be(*([0] * 4 * len(objects)))
    b += be(0) + be(0)               # walk-offs, object descriptions
    b += be(1) + be(6, person_obj, 0, 0, 0, 0, 0, 1, 0, 0)   # command 1: talk to the person
    b += be(0) + be(0, 0, 0)         # areas (none: one blank record is read)
    b += be(0) + be(0, 0, 0)         # objects
    b += be(0) + be(0, 0, 0)         # inventory
    b += be(1) + be(1, 0, 0, dog_desc)
    b += be(0)                       # entry object
    b += be(0)                       # furniture
    b += be(1, 0, 1, 0) + be(1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0)  # actor: room 1, slot 1, name 1
    b += be(0) + be(0, 0, 0)         # graphic animations
    b += b"CEM10"
    names = ["table", "Bob"]
    lines = descriptions + names + ["room"] + [f"verb{i}" for i in range(12)]
    lines += [f"Response {i}" for i in range(1, rf.JOE_RESPONSES + 1)] + ["TRADER-H"]
    return bytes(20) + b, ("\r\n".join(lines) + "\r\n").encode("latin-1")


def bundle(files: dict[str, bytes]) -> bytes:
    names = sorted(files)
    head = b"QTBL" + b"CEM10\0" + b"\0\0" + bytes([1]) + struct.pack(">H", len(names))
    off = len(head) + rf.ENTRY.size * len(names)
    table, data = b"", b""
    for n in names:
        table += rf.ENTRY.pack(n.encode(), 1, off + len(data), len(files[n]))
        data += files[n]
    return head + table + data


class FotaqTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "queen.1c")
        descriptions = ["It looks nice.*03", "TEST1.DOG", "C5A.CUT"]
        j1, j2 = jas(descriptions, 2, 2)
        clip = MP3_FRAME * 10
        self.files = {
            "QUEEN.JAS": j1, "QUEEN2.JAS": j2,
            "TEST1.DOG": dog(7, [(0, "Hi there."), (6, "Hello.*FL How are you?*XY00(237,112)"), (9, "Bye.")],
                             [(6, "Fine, thanks."), (9, "See you*05 later.")]),
            "C5A.CUT": cut([(0, "Look out!"), (2, "Too late."), (0, "*")]),
            "07SSSSJ1.SB": clip, "070006J1.SB": clip, "070006J2.SB": clip, "070006P1.SB": clip,
            "070009P1.SB": clip, "070009P2.SB": clip, "C5A__011.SB": clip, "C5A__021.SB": clip,
            "JOE00411.SB": clip, "JOE00011.SB": clip, "27SSSSSS.SB": clip, "070099J1.SB": clip,
        }
        with open(self.path, "wb") as f:
            f.write(bundle(self.files))

    def tearDown(self):
        self.tmp.cleanup()

    def args(self):
        return argparse.Namespace(bundle=self.path, out=os.path.join(self.tmp.name, "out"), limit=0)

    def test_segments(self):
        self.assertEqual(rf.segments("Hello.*FL How are you?"), [(1, "Hello."), (2, "How are you?")])
        # a piece ended by a grab command (*GD, *GM) is never played
        self.assertEqual(rf.segments("*FFWell*XY00(237,112) then*GD"), [(2, "Well")])
        self.assertEqual(rf.voice_name(f"{7:2d}{0x2b:4x}P", 10), "07002BPA.SB")
        self.assertEqual(rf.voice_name("C1A__01", 2), "C1A__012.SB")

    def test_pairing(self):
        with rf.Bundle(self.path) as b:
            paired, info = rf.pair(b)
        got = {name: (text, spk) for name, text, spk, _ in paired}
        self.assertEqual(got, {
            "07SSSSJ1.SB": ("Hi there.", "joe"),
            "070006J1.SB": ("Hello.", "joe"), "070006J2.SB": ("How are you?", "joe"),
            "070006P1.SB": ("Fine, thanks.", "trader"),
            "070009P1.SB": ("See you", "trader"), "070009P2.SB": ("later.", "trader"),
            "C5A__011.SB": ("Look out!", "joe"), "C5A__021.SB": ("Too late.", "trader"),
            "JOE00411.SB": ("It looks nice.", "joe"), "JOE00011.SB": ("Response 1", "joe"),
        })
        self.assertEqual(info["unpaired"], {"sound effect (NNSSSSSS)": 1,
                                            "dialogue-shaped, no such line in any .DOG": 1})

    @unittest.skipUnless(shutil.which("mpg123"), "mpg123 (Debian package mpg123) not installed")
    def test_convert(self):
        a = self.args()
        stats = realspeech.run("fotaq", rf.clips, a)
        rows = {r["id"]: r for r in realspeech.iter_jsonl(os.path.join(a.out, "fotaq.jsonl"))}
        self.assertEqual(stats["kept"], 10)
        self.assertEqual(rows["070006j2"]["text"], "how are you")
        self.assertEqual(rows["c5a__021"]["speaker"], "fotaq:trader")
        self.assertAlmostEqual(rows["c5a__011"]["seconds"], 5760 / 11025, delta=0.01)

    def test_corrupt(self):
        with open(self.path, "rb") as f:
            whole = f.read()
        dog_off = rf.Bundle(self.path)
        start, size, _ = dog_off.entries["TEST1.DOG"]
        dog_off.close()
        cases = {
            "truncated table": whole[:40],
            "truncated data": whole[:len(whole) - 30],
            "dialogue pointer past the end": whole[:start + 20 + 22] + b"\xff\xf0" + whole[start + 20 + 24:],
            "not MP3": whole.replace(MP3_FRAME * 10, b"RIFF" + bytes(len(MP3_FRAME) * 10 - 4), 1),
        }
        for what, data in cases.items():
            with self.subTest(what):
                with open(self.path, "wb") as f:
                    f.write(data)
                a = self.args()
                with self.assertRaises(realspeech.ArchiveError) as e:
                    realspeech.run("fotaq", rf.clips, a)
                self.assertIn(self.path, str(e.exception))
                self.assertRegex(str(e.exception), r"offset \d+ \(0x[0-9a-f]+\)")
                self.assertFalse(os.path.exists(os.path.join(a.out, "fotaq.jsonl")))
                self.assertFalse(os.path.exists(os.path.join(a.out, "fotaq.jsonl.part")))

    def test_bad_magic(self):
        with open(self.path, "r+b") as f:
            f.write(b"XTBL")
        with self.assertRaisesRegex(realspeech.ArchiveError, r"offset 0 .*QTBL"):
            rf.Bundle(self.path)


if __name__ == "__main__":
    unittest.main()
