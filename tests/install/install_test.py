#!/usr/bin/python3
"""earshot used as a library from outside its source tree (issue 29).

    install_test.py --build-dir B --source-dir S [--toolchain F] [--emulator CMD...] [--firmware]

Installs build tree B to a temporary prefix (cmake --install), then, as a user would:
  - checks the installed files, and that libearshot.so exports exactly the functions earshot.h declares;
  - configures tools/examples as a separate CMake project with CMAKE_PREFIX_PATH=prefix
    (find_package(earshot CONFIG COMPONENTS audio)), with B's toolchain file when cross-compiling,
    builds it and runs it (under the emulator) on two bundled samples with a phrase list: each
    utterance must be the phrase its sample says;
  - on the host: builds the same program with pkg-config alone, runs the installed CLI (which must
    find the installed model by itself) and the installed Python module, with no environment set.
--firmware: the board presets install only the static library and the header; checks those and
links a program against them with the board's compiler.
Standard library only. Exit 0 when every check passed.
"""
import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

FAILS = []
SAMPLES = (("kal-timer.wav", "set a timer for ten minutes"), ("ked-kitchen-lights.wav", "turn on the kitchen lights"))


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, file=sys.stderr if not cond else sys.stdout)
    if not cond:
        FAILS.append(what)


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)
    if p.returncode:
        print(f"$ {' '.join(cmd)}\n{p.stdout[-3000:]}{p.stderr[-3000:]}", file=sys.stderr)
    return p


def header_functions(src):
    text = open(os.path.join(src, "lib/include/earshot/earshot.h")).read()
    return set(re.findall(r"^[a-z][\w ]*?\**\s*\b(earshot_\w+)\(", text, re.M))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--toolchain", default="")
    ap.add_argument("--firmware", action="store_true")
    ap.add_argument("--cpu-flags", default="-mcpu=cortex-a7 -mfpu=neon-vfpv4 -mfloat-abi=hard",
                    help="--firmware: the board's CPU flags (the toolchain file's EARSHOT_TARGET_CPU_FLAGS)")
    ap.add_argument("--emulator", nargs=argparse.REMAINDER, default=[])
    a = ap.parse_args()
    src = os.path.abspath(a.source_dir)
    with tempfile.TemporaryDirectory(prefix="earshot-install-") as tmp:
        prefix = os.path.join(tmp, "prefix with space")  # paths with spaces must survive the package files
        p = run(["cmake", "--install", a.build_dir, "--prefix", prefix])
        check(p.returncode == 0, "cmake --install to a temporary prefix")
        if p.returncode:
            return 1
        files = {os.path.relpath(os.path.join(d, f), prefix) for d, _, fs in os.walk(prefix) for f in fs}
        libdir = next((os.path.dirname(f) for f in files if f.endswith("libearshot.a")), None)
        check(libdir is not None, "libearshot.a installed")
        check("include/earshot/earshot.h" in files, "earshot.h installed")
        if a.firmware:
            return firmware(a, src, prefix, libdir)
        for f in ("libearshot.so", "libearshot-audio.so", "cmake/earshot/earshotConfig.cmake",
                  "pkgconfig/earshot.pc", "pkgconfig/earshot-audio.pc"):
            check(os.path.join(libdir, f) in files, f"{libdir}/{f} installed")
        for f in ("include/earshot/earshot_audio.h", "share/earshot/models/en-small.esm", "share/earshot/models/README.md"):
            check(f in files, f"{f} installed")
        # The shared library's dynamic symbols are the C API, all of it and nothing else.
        # The cross binutils are named as the toolchain files are: aarch64-linux-gnu.cmake -> aarch64-linux-gnu-nm.
        nm = os.path.basename(a.toolchain).removesuffix(".cmake") + "-nm" if a.toolchain else "nm"
        p = run([nm, "-D", "--defined-only", os.path.join(prefix, libdir, "libearshot.so")])
        exported = {ln.split()[-1] for ln in p.stdout.splitlines() if ln.strip()}
        exported = {s for s in exported if not s.startswith("_")}
        declared = header_functions(src)
        check(len(declared) >= 15 and exported == declared,
              f"libearshot.so exports earshot.h's {len(declared)} functions only "
              f"(extra {sorted(exported - declared)}, missing {sorted(declared - exported)})")

        # A separate project, found through the CMake package.
        ex = os.path.join(tmp, "example")
        cfg = ["cmake", "-S", os.path.join(src, "tools/examples"), "-B", ex, "-G", "Ninja",
               f"-DCMAKE_PREFIX_PATH={prefix}", "-DCMAKE_BUILD_TYPE=Release"]
        if a.toolchain:
            cfg.append(f"-DCMAKE_TOOLCHAIN_FILE={os.path.abspath(a.toolchain)}")
        ok = run(cfg).returncode == 0 and run(["cmake", "--build", ex]).returncode == 0
        check(ok, "tools/examples configures with find_package(earshot CONFIG COMPONENTS audio) and builds")
        phrases = os.path.join(tmp, "phrases.txt")
        with open(phrases, "w") as f:
            f.write("turn on the kitchen lights\nset a timer for ten minutes\nmove forward and turn left\nstop\n")
        model = os.path.join(prefix, "share/earshot/models/en-small.esm")
        env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(prefix, libdir))
        env.pop("EARSHOT_MODEL", None)
        for wav, text in SAMPLES:
            if ok:
                p = run(a.emulator + [os.path.join(ex, "transcribe_phrases"), model, phrases,
                                      os.path.join(src, "models/samples", wav)], env=env)
                got = [re.sub(r"^[\d.]+ s: | \([\d.]+\)$", "", ln) for ln in p.stdout.splitlines()]
                check(p.returncode == 0 and got == [text], f"example (CMake package) on {wav}: {got} == [{text!r}]")
        # The optional XNNPACK backend (where libxnnpack-dev was found): not bit-exact, but the
        # bundled sample's text holds.
        if f"{libdir}/libearshot-xnnpack.a" in files:
            check("include/earshot/earshot_xnnpack.h" in files, "earshot_xnnpack.h installed with the backend")
            wav, text = SAMPLES[0]
            exe = os.path.join(ex, "transcribe_xnnpack")
            check(os.path.exists(exe), "tools/examples built transcribe_xnnpack (earshot::xnnpack found)")
            if os.path.exists(exe):
                p = run(a.emulator + [exe, model, os.path.join(src, "models/samples", wav)], env=env)
                lines = p.stdout.splitlines()
                check(p.returncode == 0 and len(lines) == 2 and lines[0] == text and int(lines[1].split()[0]) > 0,
                      f"XNNPACK example on {wav}: {lines}")
        else:
            print("note: no XNNPACK backend in this build (libxnnpack-dev not found): its example is not built")
        if a.toolchain:
            return summary()
        # pkg-config alone.
        pc_env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(prefix, libdir, "pkgconfig"))
        p = run(["pkg-config", "--cflags", "--libs", "earshot", "earshot-audio"], env=pc_env)
        check(p.returncode == 0 and "-learshot" in p.stdout, f"pkg-config earshot earshot-audio: {p.stdout.strip()}")
        exe = os.path.join(tmp, "tp_pkgconfig")
        p = run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", os.path.join(src, "tools/examples/transcribe_phrases.c"),
                 "-o", exe] + shlex.split(p.stdout), env=pc_env)
        check(p.returncode == 0, "the example builds with pkg-config's flags, without warnings")
        if p.returncode == 0:
            wav, text = SAMPLES[1]
            p = run([exe, model, phrases, os.path.join(src, "models/samples", wav)], env=env)
            check(p.returncode == 0 and text in p.stdout, f"example (pkg-config) on {wav}: {p.stdout.strip()}")
        # The installed CLI finds the installed model by itself.
        clean = {k: v for k, v in os.environ.items() if not k.startswith("EARSHOT_")}
        wav, text = SAMPLES[0]
        p = run([os.path.join(prefix, "bin/earshot"), "transcribe", os.path.join(src, "models/samples", wav)], env=clean,
                cwd=tmp)
        check(p.returncode == 0 and p.stdout.strip().endswith(": " + text), f"installed earshot CLI: {p.stdout.strip()}")
        # The installed Python module, from its own folder, nothing set.
        pydir = os.path.join(prefix, libdir, "python3/dist-packages")
        code = ("import earshot, sys; r = earshot.Recognizer().transcribe(sys.argv[1]); "
                "print(earshot.__file__); print(r.text)")
        p = run(["/usr/bin/python3", "-c", code, os.path.join(src, "models/samples", wav)],
                env=dict(clean, PYTHONPATH=pydir), cwd=tmp)
        lines = p.stdout.splitlines()
        check(p.returncode == 0 and len(lines) == 2 and lines[0].startswith(prefix) and lines[1] == text,
              f"installed Python module: {lines}")
    return summary()


def summary():
    print(f"install: {len(FAILS)} check(s) failed" if FAILS else "install: all checks passed")
    return 1 if FAILS else 0


def firmware(a, src, prefix, libdir):
    """Board projects link the static library: a program calling the C API links for the board."""
    ex = os.path.join(prefix, "..", "fw.c")
    with open(ex, "w") as f:
        # Every part of the library reached (front-end with KissFFT, model, searches, grammar), so the
        # link shows the archive is self-contained.
        f.write("#include <earshot/earshot.h>\n"
                "int main(void) {\n"
                "  static unsigned char mem[EARSHOT_MODEL_HANDLE_BYTES], arena[1 << 16], gmem[4096];\n"
                "  extern const unsigned char image[]; extern const unsigned long image_size;\n"
                "  earshot_model* m; earshot_recognizer* r; const earshot_grammar* g; size_t n; short pcm[160] = {0};\n"
                "  if (earshot_model_open(image, image_size, mem, sizeof mem, &m)) return 1;\n"
                "  if (earshot_recognizer_create(m, 0, arena, sizeof arena, &r)) return 2;\n"
                "  if (earshot_grammar_compile(m, \"yes\\nno\", 6, EARSHOT_GRAMMAR_PHRASES, gmem, sizeof gmem, &n, &g)) return 3;\n"
                "  earshot_set_grammar(r, g); earshot_push(r, pcm, 160); earshot_finish(r);\n"
                "  earshot_result res; return earshot_get_result(r, &res) ? 4 : (int)res.num_tokens;\n"
                "}\n"
                "const unsigned char image[16] = {0}; const unsigned long image_size = 16;\n")
    gcc = shutil.which("arm-none-eabi-gcc")
    check(gcc is not None, "arm-none-eabi-gcc found")
    out = os.path.join(prefix, "..", "fw.elf")
    p = run([gcc, *a.cpu_flags.split(), "--specs=nosys.specs", "--specs=nano.specs",
             "-I", os.path.join(prefix, "include"), ex, "-L", os.path.join(prefix, libdir), "-learshot", "-lstdc++",
             "-lm", "-o", out])
    check(p.returncode == 0, "a C program links against the installed libearshot.a with the board's compiler")
    return summary()


if __name__ == "__main__":
    sys.exit(main())
