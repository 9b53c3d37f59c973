// ISA selection (cpuid / env / API) and the compile-time tables.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "kernel_test_util.h"
#include "kernels/activation.h"
#include "kernels/isa.h"
#include "kernels/tables.h"

using namespace earshot;
using namespace earshot::kernels;

TEST_CASE("kernel isa names, support and best level") {
  for (int i = 0; i < kIsaCount; ++i) {
    Isa back;
    REQUIRE(isa_parse(isa_name(static_cast<Isa>(i)), &back));
    CHECK(static_cast<int>(back) == i);
    MESSAGE(std::string(isa_name(static_cast<Isa>(i))) << ": compiled " << isa_compiled(static_cast<Isa>(i)) << ", supported "
                                          << isa_supported(static_cast<Isa>(i)));
  }
  Isa dummy;
  CHECK_FALSE(isa_parse("sse9", &dummy));
  CHECK(isa_supported(Isa::scalar));
  CHECK(isa_supported(isa_best()));
#if defined(__x86_64__)
  CHECK(isa_compiled(Isa::avx2));
  CHECK(isa_compiled(Isa::avx512vnni));
  CHECK_FALSE(isa_compiled(Isa::neon));
#elif defined(__aarch64__)
  CHECK(isa_compiled(Isa::neon));
  CHECK(isa_compiled(Isa::neondot));
#elif defined(__ARM_NEON)
  CHECK(isa_compiled(Isa::neon));
#elif defined(__ARM_FEATURE_MVE)  // Cortex-M55: Helium and the DSP extension
  CHECK(isa_compiled(Isa::mve));
  CHECK(isa_compiled(Isa::dsp));
  CHECK(isa_best() == Isa::mve);
#elif defined(__ARM_FEATURE_DSP) && defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M'  // Cortex-M7
  CHECK(isa_compiled(Isa::dsp));
  CHECK(isa_best() == Isa::dsp);
#endif
}

#if defined(__linux__)  // bare metal (the Cortex-M kernel test firmware) has no environment
TEST_CASE("env: EARSHOT_ISA selects the level") {
  const char* want = std::getenv("EARSHOT_EXPECT_ISA");
  Error err;
  if (!want) {
    // Not run by the env ctest entries: exercise the API path instead.
    setenv("EARSHOT_ISA", "scalar", 1);
    CHECK(isa_select_from_env(err) == EARSHOT_OK);
    CHECK(isa_active() == Isa::scalar);
    setenv("EARSHOT_ISA", "bogus", 1);
    CHECK(isa_select_from_env(err) == EARSHOT_ERR_INVALID_ARGUMENT);
    CHECK(std::strstr(err.message, "bogus") != nullptr);
    CHECK(isa_active() == Isa::scalar);  // unchanged
    unsetenv("EARSHOT_ISA");
    CHECK(isa_select_from_env(err) == EARSHOT_OK);
    CHECK(isa_active() == isa_best());
    return;
  }
  Isa expect;
  REQUIRE(isa_parse(want, &expect));
  if (!isa_supported(expect)) {
    MESSAGE("skipped: this CPU lacks " << want);
    return;
  }
  CHECK(isa_active() == expect);  // the first use read the environment
}

#endif

TEST_CASE("kernel tables: same bits on every target (checksum) and close to libm") {
  uint32_t h = 2166136261u;
  auto mix = [&](const void* p, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<const uint8_t*>(p)[i]) * 16777619u;
  };
  mix(tables::kSigmoidQ15.data(), sizeof tables::kSigmoidQ15);
  mix(tables::kTanhQ15.data(), sizeof tables::kTanhQ15);
  mix(tables::kExpHiQ15.data(), sizeof tables::kExpHiQ15);
  mix(tables::kExpLoQ15.data(), sizeof tables::kExpLoQ15);
  mix(tables::kLn1pQ20.data(), sizeof tables::kLn1pQ20);
  mix(&tables::kLn2Q20, 4);
  MESSAGE("table checksum " << h);
  CHECK(h == EARSHOT_TABLE_CHECKSUM);
  for (int i = 0; i < 257; ++i) {
    const double x = -8.0 + i / 16.0;
    CHECK(std::abs(tables::kSigmoidQ15[i] - std::min(32767.0, std::round(32768.0 / (1 + std::exp(-x))))) <= 1);
    CHECK(std::abs(tables::kTanhQ15[i] - std::min(32767.0, std::round(32768.0 * std::tanh(x)))) <= 1);
    CHECK(std::abs(tables::kLn1pQ20[i] - std::round(1048576.0 * std::log1p(i / 256.0))) <= 1);
  }
  CHECK(tables::kExpHiQ15[0] == 32768);
  CHECK(tables::kExpLoQ15[0] == 32768);
}

TEST_CASE("kernel activations: error bounds of the table functions") {
  double es = 0, et = 0, ee = 0;
  for (int32_t x = -32768; x <= 32767; ++x) {
    const double v = x / 4096.0;
    es = std::max(es, std::fabs(sigmoid_q15(x) - 32768.0 / (1 + std::exp(-v))));
    et = std::max(et, std::fabs(tanh_q15(x) - 32768.0 * std::tanh(v)));
  }
  for (int32_t n = 0; n < 20000; ++n) ee = std::max(ee, std::fabs(exp_neg_q10_to_q15(n) - 32768.0 * std::exp(-n / 1024.0)));
  MESSAGE("max error, Q15 LSB: sigmoid " << es << ", tanh " << et << ", exp " << ee);
  CHECK(es <= 2.5);   // NUMERICS.md
  CHECK(et <= 13.5);
  CHECK(ee <= 1.5);
}
