#include "kernels/isa.h"

#include <cstdlib>
#include <initializer_list>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

namespace earshot::kernels {
namespace {

constexpr const char* kNames[kIsaCount] = {"scalar", "avx2", "avx512vnni", "neon", "neondot", "dsp", "mve"};

#if defined(__x86_64__)
uint64_t xgetbv0() {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

struct X86Features {
  bool avx2 = false, avx512vnni = false;
  X86Features() {
    uint32_t a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    const bool osxsave = c & (1u << 27), avx = c & (1u << 28);
    if (!osxsave || !avx) return;
    const uint64_t xcr0 = xgetbv0();
    const bool ymm_os = (xcr0 & 0x6) == 0x6, zmm_os = (xcr0 & 0xE6) == 0xE6;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return;
    avx2 = ymm_os && (b & (1u << 5));
    const bool f = b & (1u << 16), dq = b & (1u << 17), bw = b & (1u << 30), vl = b & (1u << 31);
    const bool vnni = c & (1u << 11);
    avx512vnni = avx2 && zmm_os && f && dq && bw && vl && vnni;
  }
};
const X86Features& x86() {
  static const X86Features f;
  return f;
}
#endif

bool cpu_has(Isa isa) {
  switch (isa) {
    case Isa::scalar: return true;
#if defined(EARSHOT_KERNELS_X86)
    case Isa::avx2: return x86().avx2;
    case Isa::avx512vnni: return x86().avx512vnni;
#endif
#if defined(EARSHOT_KERNELS_NEON)
    case Isa::neon: return true;
#endif
#if defined(EARSHOT_KERNELS_NEONDOT)
    case Isa::neondot:
#if defined(__ARM_FEATURE_DOTPROD)
      return true;
#elif defined(__linux__)
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
      return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#else
      return false;
#endif
#endif
#if defined(EARSHOT_KERNELS_DSP)
    case Isa::dsp: return true;  // chosen at build time (-mcpu): no run-time probe on bare metal
#endif
#if defined(EARSHOT_KERNELS_MVE)
    case Isa::mve: return true;
#endif
    default: return false;
  }
}

int g_active = -1;  // -1: not chosen yet

Isa from_env_or_best() {
#if defined(__linux__)
  if (const char* e = std::getenv("EARSHOT_ISA")) {
    Isa isa;
    if (isa_parse(e, &isa) && isa_supported(isa)) return isa;
  }
#endif
  return isa_best();
}

}  // namespace

const char* isa_name(Isa isa) {
  const int i = static_cast<int>(isa);
  return i >= 0 && i < kIsaCount ? kNames[i] : "unknown";
}

bool isa_parse(const char* name, Isa* out) {
  for (int i = 0; name && i < kIsaCount; ++i)
    if (!std::strcmp(name, kNames[i])) {
      *out = static_cast<Isa>(i);
      return true;
    }
  return false;
}

bool isa_compiled(Isa isa) {
  switch (isa) {
    case Isa::scalar: return true;
#if defined(EARSHOT_KERNELS_X86)
    case Isa::avx2:
    case Isa::avx512vnni: return true;
#endif
#if defined(EARSHOT_KERNELS_NEON)
    case Isa::neon: return true;
#endif
#if defined(EARSHOT_KERNELS_NEONDOT)
    case Isa::neondot: return true;
#endif
#if defined(EARSHOT_KERNELS_DSP)
    case Isa::dsp: return true;
#endif
#if defined(EARSHOT_KERNELS_MVE)
    case Isa::mve: return true;
#endif
    default: return false;
  }
}

bool isa_supported(Isa isa) { return isa_compiled(isa) && cpu_has(isa); }

Isa isa_best() {
  for (Isa isa : {Isa::avx512vnni, Isa::avx2, Isa::neondot, Isa::neon, Isa::mve, Isa::dsp})
    if (isa_supported(isa)) return isa;
  return Isa::scalar;
}

Isa isa_active() {
  if (g_active < 0) g_active = static_cast<int>(from_env_or_best());
  return static_cast<Isa>(g_active);
}

earshot_status isa_force(Isa isa, Error& err) {
  if (!isa_compiled(isa))
    return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "ISA %s is not compiled into this build", isa_name(isa));
  if (!cpu_has(isa))
    return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "ISA %s is not supported by this CPU", isa_name(isa));
  g_active = static_cast<int>(isa);
  return EARSHOT_OK;
}

earshot_status isa_select_from_env(Error& err) {
  const char* e = nullptr;
#if defined(__linux__)
  e = std::getenv("EARSHOT_ISA");
#endif
  if (!e || !*e) {
    g_active = static_cast<int>(isa_best());
    return EARSHOT_OK;
  }
  Isa isa;
  if (!isa_parse(e, &isa))
    return err.set(EARSHOT_ERR_INVALID_ARGUMENT,
                   "EARSHOT_ISA=%s: expected scalar, avx2, avx512vnni, neon, neondot, dsp or mve", e);
  return isa_force(isa, err);
}

}  // namespace earshot::kernels

// The per-thread matrix override (matrix_override.h): hosted builds only; bare
// metal has one thread and no second backend.
#include "kernels/matrix_override.h"

namespace earshot::kernels {
#if defined(__linux__) || defined(__APPLE__) || defined(_WIN32)
namespace {
thread_local const MatrixOverride* t_override = nullptr;
}
const MatrixOverride* set_thread_matrix_override(const MatrixOverride* o) {
  const MatrixOverride* prev = t_override;
  t_override = o;
  return prev;
}
const MatrixOverride* thread_matrix_override() { return t_override; }
#else
const MatrixOverride* set_thread_matrix_override(const MatrixOverride*) { return nullptr; }
const MatrixOverride* thread_matrix_override() { return nullptr; }
#endif
}  // namespace earshot::kernels
