// earshot-pack's converter: a synthetic float checkpoint (same names and metadata
// as tools/train/export.py writes) packed into an image, checked from outside
// against lib/model/MODEL.md "Quantization"; every defect class rejected with a
// message naming it and no file written; the shared schema check.
#include <doctest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "image/image.h"
#include "kernels/lstm-step/lstm_step.h"
#include "kernels/s8-gemm/s8_gemm.h"
#include "model/schema.h"
#include "pack/convert.h"
#include "pack/image_writer.h"
#include "pack/safetensors.h"

using namespace earshot;
using namespace earshot::pack;
namespace fs = std::filesystem;

namespace {

// A small config off the 16-row / 4-column grids (tails), two encoder layers.
struct Cfg {
  int M = 40, stack = 3, H = 20, L = 2, Hd = 24, E = 8, W = 4, V = 29;
};

struct Ckpt {
  Cfg c;
  std::vector<StEntry> t;
  std::map<std::string, std::string> meta;

  StEntry* find(const std::string& n) {
    for (auto& e : t)
      if (e.name == n) return &e;
    return nullptr;
  }
  std::vector<float> get(const std::string& n) {
    StEntry* e = find(n);
    std::vector<float> v(e->data.size() / 4);
    std::memcpy(v.data(), e->data.data(), e->data.size());
    return v;
  }
  void set(const std::string& n, size_t i, float v) { std::memcpy(find(n)->data.data() + 4 * i, &v, 4); }
  std::vector<uint8_t> bytes() const { return st_serialize(t, meta); }
};

Ckpt make_ckpt(uint32_t seed = 1) {
  Ckpt k;
  const Cfg& c = k.c;
  std::mt19937 rng(seed);
  auto uni = [&](double lo, double hi) { return static_cast<float>(lo + (hi - lo) * (rng() / 4294967296.0)); };
  auto add = [&](const std::string& n, std::vector<uint64_t> shape, double lo, double hi) {
    size_t count = 1;
    for (auto d : shape) count *= d;
    std::vector<float> v(count);
    for (auto& x : v) x = uni(lo, hi);
    k.t.push_back(st_f32(n, std::move(shape), v));
  };
  const uint64_t M = c.M, H = c.H, Hd = c.Hd, E = c.E, V = c.V;
  add("feat_mean", {M}, 10, 40);
  add("feat_std", {M}, 5, 15);
  for (int l = 0; l < c.L; ++l) {
    const std::string p = "encoder.lstms." + std::to_string(l) + ".";
    add(p + "weight_ih_l0", {4 * H, l == 0 ? c.stack * M : H}, -0.3, 0.3);
    add(p + "weight_hh_l0", {4 * H, H}, -0.3, 0.3);
    add(p + "bias_ih_l0", {4 * H}, -0.5, 0.5);
    add(p + "bias_hh_l0", {4 * H}, -0.5, 0.5);
  }
  add("ctc_head.weight", {V, H}, -0.5, 0.5);
  add("ctc_head.bias", {V}, -0.5, 0.5);
  add("decoder.emb.weight", {V, E}, -2, 2);
  add("decoder.cell.weight_ih", {4 * Hd, E + H}, -0.3, 0.3);
  add("decoder.cell.weight_hh", {4 * Hd, Hd}, -0.3, 0.3);
  add("decoder.cell.bias_ih", {4 * Hd}, -0.5, 0.5);
  add("decoder.cell.bias_hh", {4 * Hd}, -0.5, 0.5);
  add("decoder.query.weight", {H, Hd}, -0.3, 0.3);
  add("decoder.advance.weight", {1, Hd}, -0.3, 0.3);
  add("decoder.advance.bias", {1}, -1, 1);
  add("decoder.out.weight", {V, Hd + H}, -0.5, 0.5);
  add("decoder.out.bias", {V}, -0.5, 0.5);
  nlohmann::json cfg = {{"n_mels", c.M},  {"stack", c.stack}, {"enc_hidden", c.H},      {"enc_layers", c.L},
                        {"dec_hidden", c.Hd}, {"emb", c.E},   {"att_half_window", c.W}, {"max_advance", 12.0}};
  nlohmann::json fe = {{"sample_rate_hz", 16000}, {"window_samples", 400}, {"hop_samples", 160},
                       {"fft_size", 512},         {"num_mels", 40},        {"mel_low_hz", 20},
                       {"mel_high_hz", 7600},     {"floor_db_q8", -10240}};
  k.meta = {{"format", "earshot-checkpoint-v1"},
            {"config", cfg.dump()},
            {"vocab", nlohmann::json(expected_vocab()).dump()},
            {"frontend", fe.dump()},
            {"step", "7"}};
  return k;
}

std::vector<uint8_t> pack_ok(const Ckpt& k, PackReport* rep = nullptr) {
  return pack_model(Safetensors::parse(k.bytes()), PackOptions{}, rep);
}

struct Opened {
  AlignedBytes buf;
  ModelImage img;
  ModelHparams hp;
  ModelTensors t;
};

void open_all(const std::vector<uint8_t>& image, Opened& o) {
  o.buf.assign(image);
  Error err;
  REQUIRE_MESSAGE(o.img.open(o.buf.span(), err) == EARSHOT_OK, err.message);
  REQUIRE_MESSAGE(model_schema_open(o.img, o.hp, o.t, err) == EARSHOT_OK, err.message);
}

std::vector<int8_t> unpack(const kernels::S8Matrix& m, int seg) {
  std::vector<int8_t> w(static_cast<size_t>(m.rows) * m.cols[seg]);
  kernels::s8_matrix_unpack(m, seg, w.data());
  return w;
}

double rq(int32_t mult, int32_t shift) { return mult / std::ldexp(1.0, shift); }

// Checks one quantized matrix against its float rows, from the outside: s_w is
// recovered from (M, S) = quantize_multiplier(rq_of_sw(s_w)), then every weight
// must be within half a step of the folded float weight and the bias within half
// an accumulator step. Returns the worst weight error in steps.
double check_rows(const kernels::S8Matrix& m, const std::function<double(int, int)>& row, const std::function<double(int)>& bias,
                  const std::function<double(double)>& sw_from_rq) {
  const std::vector<int8_t> w0 = unpack(m, 0), w1 = m.nseg == 2 ? unpack(m, 1) : std::vector<int8_t>{};
  const int cols = m.cols[0] + m.cols[1];
  double worst = 0;
  for (int r = 0; r < m.rows; ++r) {
    double amax = 0;
    for (int k = 0; k < cols; ++k) amax = std::max(amax, std::fabs(row(r, k)));
    const double s = amax > 0 ? amax / 127 : 1.0;
    const double s_from_image = sw_from_rq(rq(m.mult[r], m.shift[r]));
    REQUIRE(std::fabs(s_from_image - s) <= s * 1e-9);
    for (int k = 0; k < cols; ++k) {
      const int q = k < m.cols[0] ? w0[static_cast<size_t>(r) * m.cols[0] + k] : w1[static_cast<size_t>(r) * m.cols[1] + k - m.cols[0]];
      const double err = std::fabs(q * s - row(r, k)) / s;
      worst = std::max(worst, err);
      REQUIRE(err <= 0.5 + 1e-9);
    }
    REQUIRE(std::fabs(m.bias[r] - bias(r) * 128 / s) <= 0.5 + 1e-6);
  }
  return worst;
}

struct TmpDir {
  fs::path p;
  TmpDir() {
    p = fs::temp_directory_path() / ("earshot-pack-test-" + std::to_string(::getpid()));
    fs::create_directories(p);
  }
  ~TmpDir() { fs::remove_all(p); }
};

}  // namespace

TEST_CASE("quantize_multiplier follows MODEL.md") {
  Multiplier m = quantize_multiplier(1.0, "x");
  CHECK(m.mult == (1 << 30));
  CHECK(m.shift == 30);
  m = quantize_multiplier(0.75, "x");
  CHECK(m.mult == 3 * (1 << 29));
  CHECK(m.shift == 31);
  // Rounds up to 2^31: becomes 2^30 with one shift less.
  m = quantize_multiplier(1.0 - std::ldexp(1.0, -33), "x");
  CHECK(m.mult == (1 << 30));
  CHECK(m.shift == 30);
  for (double r : {3.0e-5, 0.0123, 7.7, 1234.5}) {
    m = quantize_multiplier(r, "x");
    CHECK(m.mult >= (1 << 30));
    CHECK(std::fabs(rq(m.mult, m.shift) - r) <= r * std::ldexp(1.0, -31));
  }
  CHECK_THROWS_WITH_AS(quantize_multiplier(0.0, "tensor 't' row 3"), doctest::Contains("tensor 't' row 3"), PackError);
  CHECK_THROWS_WITH_AS(quantize_multiplier(-1.0, "t"), doctest::Contains("not a positive"), PackError);
  CHECK_THROWS_WITH_AS(quantize_multiplier(NAN, "t"), doctest::Contains("not a positive"), PackError);
  CHECK_THROWS_WITH_AS(quantize_multiplier(std::ldexp(1.0, 31), "t"), doctest::Contains("outside [1, 62]"), PackError);
  CHECK_THROWS_WITH_AS(quantize_multiplier(std::ldexp(1.0, -40), "t"), doctest::Contains("outside [1, 62]"), PackError);
  CHECK_NOTHROW(quantize_multiplier(std::ldexp(1.0, -32), "t"));  // S = 62 exactly
}

TEST_CASE("pack: image passes the schema and matches MODEL.md quantization") {
  for (bool calibrated : {false, true}) {
    CAPTURE(calibrated);
    Ckpt k = make_ckpt();
    if (calibrated) k.meta["calibration"] = R"({"input_p9999": 3.0, "query_absmax": 2.0, "utterances": 5})";
    PackReport rep;
    const std::vector<uint8_t> image = pack_ok(k, &rep);
    CHECK(image == pack_ok(k));  // deterministic
    Opened o;
    open_all(image, o);
    const Cfg& c = k.c;
    CHECK(o.hp.enc_layers == 2);
    CHECK(o.hp.enc_hidden == 20);
    CHECK(o.hp.vocab_size == 29);
    CHECK(o.hp.vocab_chars[3] == 'a');
    CHECK(o.hp.max_advance_q8 == 3072);
    CHECK(o.hp.max_chars == 200);
    CHECK(o.hp.onset_back == 2);
    CHECK(o.hp.half_window == 4);
    CHECK(o.hp.prime_ms == 0);  // not in the config: no priming, no metadata key
    MetaView mv;
    CHECK_FALSE(o.img.find_meta("encoder.prime_ms", mv));

    // Scales.
    const double s_in = (calibrated ? 3.0 : 4.0) / 127;
    double emax = 0;
    for (float v : k.get("decoder.emb.weight")) emax = std::max(emax, std::fabs(double{v}));
    const double s_d = std::max(1.0, emax) / 127;
    const std::vector<float> wq = k.get("decoder.query.weight");
    double bound = 0;
    for (int r = 0; r < c.H; ++r) {
      double s = 0;
      for (int j = 0; j < c.Hd; ++j) s += std::fabs(wq[r * c.Hd + j]);
      bound = std::max(bound, s);
    }
    const double s_q = calibrated ? 2.0 / 127 : bound / 127;
    CHECK(rep.s_in == doctest::Approx(s_in).epsilon(1e-12));
    CHECK(rep.s_d == doctest::Approx(s_d).epsilon(1e-12));
    CHECK(rep.s_q == doctest::Approx(s_q).epsilon(1e-12));
    CHECK(rep.input_calibrated == calibrated);

    // Input normalisation.
    const std::vector<float> mean = k.get("feat_mean"), sd = k.get("feat_std");
    for (int m = 0; m < c.M; ++m) {
      CHECK(o.t.input_mean_q8[m] == std::llround(256.0 * mean[m]));
      const double r = 1.0 / (256.0 * sd[m] * s_in);
      CHECK(std::fabs(rq(o.t.input_mult[m], o.t.input_shift[m]) - r) <= r * std::ldexp(1.0, -30));
    }

    // LSTM layers: [W_ih (128 s_x) | W_hh], Q12 (M/2^S = 32 s_w).
    double worst = 0;
    for (int l = 0; l < c.L; ++l) {
      const std::string p = "encoder.lstms." + std::to_string(l) + ".";
      const auto wih = k.get(p + "weight_ih_l0"), whh = k.get(p + "weight_hh_l0"), bih = k.get(p + "bias_ih_l0"),
                 bhh = k.get(p + "bias_hh_l0");
      const int in = l == 0 ? c.stack * c.M : c.H;
      const double fold = 128.0 * (l == 0 ? s_in : 1.0 / 128);
      worst = std::max(worst, check_rows(
          o.t.enc[l].gates,
          [&](int r, int j) { return j < in ? wih[r * in + j] * fold : double{whh[r * c.H + j - in]}; },
          [&](int r) { return double{bih[r]} + bhh[r]; }, [](double v) { return v / 32; }));
    }
    {
      const auto wih = k.get("decoder.cell.weight_ih"), whh = k.get("decoder.cell.weight_hh"),
                 bih = k.get("decoder.cell.bias_ih"), bhh = k.get("decoder.cell.bias_hh");
      const int in = c.E + c.H;
      worst = std::max(worst, check_rows(
          o.t.dec_lstm.gates,
          [&](int r, int j) { return j < in ? wih[r * in + j] * 128.0 * s_d : double{whh[r * c.Hd + j - in]}; },
          [&](int r) { return double{bih[r]} + bhh[r]; }, [](double v) { return v / 32; }));
    }
    {
      const auto w = k.get("ctc_head.weight"), b = k.get("ctc_head.bias");
      worst = std::max(worst, check_rows(
          o.t.ctc, [&](int r, int j) { return double{w[r * c.H + j]}; }, [&](int r) { return double{b[r]}; },
          [](double v) { return v / 8; }));
    }
    {
      const auto w = k.get("decoder.out.weight"), b = k.get("decoder.out.bias");
      const int cols = c.Hd + c.H;
      worst = std::max(worst, check_rows(
          o.t.dec_out, [&](int r, int j) { return j < c.Hd ? double{w[r * cols + j]} : w[r * cols + j] * 128.0 * s_d; },
          [&](int r) { return double{b[r]}; }, [](double v) { return v / 8; }));
    }
    {
      const auto w = k.get("decoder.advance.weight"), b = k.get("decoder.advance.bias");
      worst = std::max(worst, check_rows(
          o.t.dec_advance, [&](int, int j) { return double{w[j]}; }, [&](int) { return double{b[0]}; },
          [](double v) { return v / 32; }));
    }
    worst = std::max(worst, check_rows(
        o.t.dec_query, [&](int r, int j) { return double{wq[r * c.Hd + j]}; }, [](int) { return 0.0; },
        [&](double v) { return v * 128 * s_q; }));
    CHECK(worst > 0.45);  // the bound is tight, not vacuous
    for (const auto& s : rep.stats) {
      CAPTURE(s.tensor);
      CHECK(s.max_err <= 0.5 + 1e-9);
      CHECK(s.max_bias_err <= 0.5 + 1e-6);
    }

    // Embedding and attention constants.
    const auto emb = k.get("decoder.emb.weight");
    for (int i = 0; i < c.V * c.E; ++i) CHECK(std::fabs(o.t.dec_embed[i] * s_d - emb[i]) <= 0.5 * s_d * (1 + 1e-9));
    const double rs = 8 * s_q / std::sqrt(double(c.H)), rc = 1.0 / (32768.0 * 128 * s_d);
    CHECK(std::fabs(rq(o.t.attn.score_mult, o.t.attn.score_shift) - rs) <= rs * std::ldexp(1.0, -30));
    CHECK(std::fabs(rq(o.t.attn.ctx_mult, o.t.attn.ctx_shift) - rc) <= rc * std::ldexp(1.0, -30));
    CHECK(o.t.attn.frames == 2 * c.W + 1);
  }
}

TEST_CASE("pack: the config's prime_ms reaches the image") {
  Ckpt k = make_ckpt();
  auto cfg = nlohmann::json::parse(k.meta["config"]);
  cfg["prime_ms"] = 300;
  k.meta["config"] = cfg.dump();
  Opened o;
  open_all(pack_ok(k), o);
  CHECK(o.hp.prime_ms == 300);
}

TEST_CASE("pack: F16, BF16 and F64 weights are converted") {
  Ckpt k = make_ckpt();
  auto retype = [&](const std::string& n, const std::string& dtype) {
    StEntry* e = k.find(n);
    const std::vector<float> v = k.get(n);
    std::vector<uint8_t> d;
    for (float f : v) {
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      if (dtype == "F64") {
        const double x = f;
        uint8_t b[8];
        std::memcpy(b, &x, 8);
        d.insert(d.end(), b, b + 8);
      } else if (dtype == "BF16") {
        d.push_back(static_cast<uint8_t>(bits >> 16));
        d.push_back(static_cast<uint8_t>(bits >> 24));
      } else {  // F16: these test values are normal halfs; truncate the mantissa
        const uint32_t sign = bits >> 31, exp = (bits >> 23) & 255, man = bits & 0x7FFFFF;
        const uint16_t h = static_cast<uint16_t>((sign << 15) | ((exp - 112) << 10) | (man >> 13));
        d.push_back(static_cast<uint8_t>(h));
        d.push_back(static_cast<uint8_t>(h >> 8));
      }
    }
    e->dtype = dtype;
    e->data = d;
  };
  retype("ctc_head.weight", "F64");
  retype("decoder.out.weight", "BF16");
  retype("decoder.query.weight", "F16");
  Opened o;
  open_all(pack_ok(k), o);
}

TEST_CASE("pack: every defect is named and no file is written") {
  TmpDir tmp;
  const fs::path in = tmp.p / "in.safetensors", out = tmp.p / "out.esm";
  auto expect = [&](const std::vector<uint8_t>& file, const std::string& want) {
    CAPTURE(want);
    {
      FILE* f = std::fopen(in.c_str(), "wb");
      REQUIRE(f);
      std::fwrite(file.data(), 1, file.size(), f);
      std::fclose(f);
    }
    std::string got;
    try {
      pack_file(in.string(), out.string(), PackOptions{});
    } catch (const PackError& e) {
      got = e.what();
    }
    CHECK_MESSAGE(got.find(want) != std::string::npos, got);
    CHECK_FALSE(fs::exists(out));
    for (const auto& e : fs::directory_iterator(tmp.p)) CHECK_MESSAGE(e.path() == in, e.path());  // no temporaries left
  };
  const Ckpt good = make_ckpt();
  const std::vector<uint8_t> gb = good.bytes();

  // Container defects.
  expect({1, 2, 3}, "truncated");
  {
    std::vector<uint8_t> b = gb;
    b[0] = 0xFF;  // header length beyond the file
    b[5] = 0x01;
    expect(b, "header length");
  }
  {
    std::vector<uint8_t> b = gb;
    b[8] = '[';  // not an object / JSON
    b[9] = '{';
    expect(b, "not valid JSON");
  }
  {
    std::vector<uint8_t> b = gb;
    b.resize(b.size() - 4);  // last tensor's end past the data
    expect(b, "outside the data section");
  }
  {
    // Two tensors on the same bytes.
    nlohmann::json h = nlohmann::json::parse(std::string(gb.begin() + 8, gb.begin() + 8 + gb[0] + (gb[1] << 8)));
    h["feat_std"]["data_offsets"] = h["feat_mean"]["data_offsets"];
    std::string hs = h.dump();
    hs.append((8 - hs.size() % 8) % 8, ' ');
    const size_t data_at = 8 + gb[0] + (gb[1] << 8), data_bytes = gb.size() - data_at;
    std::vector<uint8_t> b(8 + hs.size() + data_bytes);
    for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(static_cast<uint64_t>(hs.size()) >> (8 * i));
    std::memcpy(b.data() + 8, hs.data(), hs.size());
    std::memcpy(b.data() + 8 + hs.size(), gb.data() + data_at, data_bytes);
    expect(b, "overlap");
  }
  {
    Ckpt k = make_ckpt();
    k.find("ctc_head.bias")->shape = {30};  // bytes no longer match the shape
    expect(k.bytes(), "needs");
  }
  // Model defects.
  {
    Ckpt k = make_ckpt();
    k.t.erase(k.t.begin() + 5);
    expect(k.bytes(), "tensor 'encoder.lstms.0.bias_hh_l0' is missing");
  }
  {
    Ckpt k = make_ckpt();
    k.find("ctc_head.weight")->shape = {29, 19};
    k.find("ctc_head.weight")->data.resize(29 * 19 * 4);
    expect(k.bytes(), "tensor 'ctc_head.weight' has shape [29, 19], expected [29, 20]");
  }
  {
    Ckpt k = make_ckpt();
    k.t.push_back(st_f32("decoder.extra", {2}, {1, 2}));
    expect(k.bytes(), "tensor 'decoder.extra' is not part of model");
  }
  {
    Ckpt k = make_ckpt();
    k.find("feat_mean")->dtype = "Q4";
    expect(k.bytes(), "tensor 'feat_mean' has unknown dtype 'Q4'");
  }
  {
    Ckpt k = make_ckpt();
    k.find("ctc_head.bias")->dtype = "I32";
    expect(k.bytes(), "tensor 'ctc_head.bias' has dtype I32");
  }
  {
    Ckpt k = make_ckpt();
    k.set("decoder.cell.weight_hh", 24 * 3 + 5, NAN);
    expect(k.bytes(), "tensor 'decoder.cell.weight_hh' has a NaN value at element 77 (row 3, column 5)");
  }
  {
    Ckpt k = make_ckpt();
    k.set("decoder.out.bias", 2, INFINITY);
    expect(k.bytes(), "tensor 'decoder.out.bias' has a infinite value");
  }
  {
    Ckpt k = make_ckpt();
    std::vector<std::string> v = expected_vocab();
    v.pop_back();
    k.meta["vocab"] = nlohmann::json(v).dump();
    expect(k.bytes(), "vocab has 28 tokens, expected 29");
    v = expected_vocab();
    v[5] = "C";
    k.meta["vocab"] = nlohmann::json(v).dump();
    expect(k.bytes(), "vocab token 5 is \"C\", expected \"c\"");
  }
  {
    Ckpt k = make_ckpt();
    k.set("feat_std", 7, 1e-12f);  // 1 / (256 std s_in) needs a negative shift
    expect(k.bytes(), "tensor 'feat_std' band 7: requantization multiplier");
    k.set("feat_std", 7, -1.0f);
    expect(k.bytes(), "tensor 'feat_std' band 7: standard deviation -1 is not positive");
  }
  {
    Ckpt k = make_ckpt();
    k.meta["calibration"] = R"({"input_p9999": 0})";
    expect(k.bytes(), "calibration 'input_p9999' = 0 is not a positive number");
  }
  {
    Ckpt k = make_ckpt();
    for (int j = 0; j < 20; ++j) k.set("ctc_head.weight", 4 * 20 + j, 1e-9f);  // a tiny row with a normal bias
    expect(k.bytes(), "tensor 'ctc.proj' row 4: bias quantizes to");
  }
  {
    Ckpt k = make_ckpt();
    auto cfg = nlohmann::json::parse(k.meta["config"]);
    cfg.erase("enc_hidden");
    k.meta["config"] = cfg.dump();
    expect(k.bytes(), "checkpoint config lacks 'enc_hidden'");
    cfg["enc_hidden"] = 21;  // now every encoder tensor disagrees with the config
    k.meta["config"] = cfg.dump();
    expect(k.bytes(), "tensor 'encoder.lstms.0.weight_ih_l0' has shape [80, 120], expected [84, 120]");
    cfg["enc_hidden"] = 20;
    cfg["att_half_window"] = 40;
    k.meta["config"] = cfg.dump();
    expect(k.bytes(), "'att_half_window' = 40 is outside [0, 31]");
    cfg["att_half_window"] = 4;
    cfg["prime_ms"] = 2001;
    k.meta["config"] = cfg.dump();
    expect(k.bytes(), "'prime_ms' = 2001 is outside [0, 2000]");
  }
  {
    Ckpt k = make_ckpt();
    auto fe = nlohmann::json::parse(k.meta["frontend"]);
    fe["num_mels"] = 64;
    k.meta["frontend"] = fe.dump();
    expect(k.bytes(), "frontend num_mels = 64 but config n_mels = 40");
  }
  {
    Ckpt k = make_ckpt();
    k.meta.erase("format");
    expect(k.bytes(), "lacks 'format'");
  }
  // And the good one is written (atomically: nothing else left in the folder).
  {
    FILE* f = std::fopen(in.c_str(), "wb");
    std::fwrite(gb.data(), 1, gb.size(), f);
    std::fclose(f);
    const PackReport rep = pack_file(in.string(), out.string(), PackOptions{});
    CHECK(fs::file_size(out) == rep.image_bytes);
    CHECK(std::distance(fs::directory_iterator(tmp.p), fs::directory_iterator{}) == 2);
  }
}

// The schema check that `verify` and the runtime share: rebuild a good image
// with one thing changed and expect a named error.
namespace {

std::vector<uint8_t> rebuild(const std::vector<uint8_t>& image, const std::string& drop_meta, const std::string& drop_tensor,
                             const std::function<void(ImageWriter&)>& extra = nullptr,
                             const std::function<void(ImageWriter::Tensor&)>& edit = nullptr) {
  AlignedBytes buf(image);
  ModelImage img;
  Error err;
  REQUIRE(img.open(buf.span(), err) == EARSHOT_OK);
  ImageWriter w;
  for (uint32_t i = 0; i < img.meta_count(); ++i) {
    const MetaView m = img.meta(i);
    if (m.key != drop_meta) w.meta_raw(m.type, std::string(m.key), m.value);
  }
  if (extra) extra(w);
  for (uint32_t i = 0; i < img.tensor_count(); ++i) {
    const TensorView t = img.tensor(i);
    if (t.name == drop_tensor) continue;
    ImageWriter::Tensor n;
    n.name = std::string(t.name);
    n.dtype = t.dtype;
    n.dims.assign(t.dims, t.dims + t.ndim);
    n.layout = t.layout;
    n.data.assign(t.data, t.data + t.bytes);
    n.scale = t.scale;
    if (edit) edit(n);
    w.add_tensor(std::move(n));
  }
  return w.finish();
}

std::string schema_error(const std::vector<uint8_t>& image) {
  AlignedBytes buf(image);
  ModelImage img;
  Error err;
  if (img.open(buf.span(), err) != EARSHOT_OK) return std::string("open: ") + err.message;
  ModelHparams hp;
  ModelTensors t;
  return model_schema_open(img, hp, t, err) == EARSHOT_OK ? "" : err.message;
}

}  // namespace

TEST_CASE("schema: a rebuilt image passes, every change is named") {
  const std::vector<uint8_t> good = pack_ok(make_ckpt());
  CHECK(schema_error(rebuild(good, "", "")) == "");
  CHECK(schema_error(rebuild(good, "model.arch", "", [](ImageWriter& w) { w.meta_string("model.arch", "other-v2"); })) ==
        "model: model.arch is 'other-v2'; this runtime runs 'earshot-las-v1'");
  CHECK(schema_error(rebuild(good, "decoder.hidden", "")) == "model: metadata 'decoder.hidden' is missing or not a u32");
  CHECK(schema_error(rebuild(good, "decoder.half_window", "", [](ImageWriter& w) { w.meta_u32("decoder.half_window", 32); })) ==
        "model: metadata 'decoder.half_window' = 32 is outside [0, 31]");
  CHECK(schema_error(rebuild(good, "vocab", "", [](ImageWriter& w) { w.meta_string("vocab", "<eos>\na\nb\na"); })) ==
        "model: vocab token 3 ('a') repeats token 1");
  CHECK(schema_error(rebuild(good, "vocab", "", [](ImageWriter& w) { w.meta_string("vocab", "<eos>\na\nbc"); })) ==
        "model: vocab token 2 is not a single printable character");
  // The vocabulary size drives the CTC and output shapes.
  CHECK(schema_error(rebuild(good, "vocab", "", [](ImageWriter& w) { w.meta_string("vocab", "<eos>\na\nb"); })) ==
        "model: tensor 'ctc.proj' has shape 29x20 (ndim 2), expected 3x20");
  CHECK(schema_error(rebuild(good, "", "dec.query")) == "model: tensor 'dec.query' is missing");
  CHECK(schema_error(rebuild(good, "", "", nullptr, [](ImageWriter::Tensor& t) {
          if (t.name == "dec.embed") t.dtype = DType::kUInt8;
        })) == "model: tensor 'dec.embed' is uint8 layout 0, expected int8 layout 0");
  CHECK(schema_error(rebuild(good, "", "", nullptr, [](ImageWriter::Tensor& t) {
          if (t.name == "enc.1.lstm") t.data[70] ^= 1;  // a bias changes: bias_u8 no longer matches
        })).find("model: tensor 'enc.1.lstm': s8 matrix: row") == 0);
  CHECK(schema_error(rebuild(good, "", "", nullptr, [](ImageWriter::Tensor& t) {
          if (t.name == "dec.attn") t.data[4] = 0;  // score shift 0
        })).find("model: tensor 'dec.attn' = {") == 0);
  CHECK(schema_error(rebuild(good, "", "", nullptr, [](ImageWriter::Tensor& t) {
          if (t.name == "input.shift") t.data[0] = 63;
        })) == "model: tensor 'input.mult'/'input.shift' band 0: mult " +
                   std::to_string([&] {
                     Opened o;
                     open_all(good, o);
                     return o.t.input_mult[0];
                   }()) +
                   " shift 63 outside the requantization contract");
}

TEST_CASE("pack: corrupted and truncated checkpoints fail cleanly") {
  // The converter reads untrusted files: every mutation must either pack (a
  // harmless change, e.g. in a weight) or raise a PackError, never crash (the
  // host-debug preset runs this under ASan + UBSan).
  const std::vector<uint8_t> good = make_ckpt().bytes();
  const size_t header_end = 8 + (good[0] | (good[1] << 8));
  std::mt19937 rng(7);
  int packed = 0, rejected = 0;
  for (int i = 0; i < 400; ++i) {
    std::vector<uint8_t> b = good;
    if (i % 4 == 0) {
      b.resize(rng() % b.size());
    } else {
      const int flips = 1 + static_cast<int>(rng() % 3);
      for (int f = 0; f < flips; ++f) {
        // Mostly the header (where structure lives), sometimes the data.
        const size_t at = (i % 4 == 3) ? rng() % b.size() : rng() % header_end;
        b[at] = static_cast<uint8_t>(rng());
      }
    }
    try {
      pack_model(Safetensors::parse(std::move(b)), PackOptions{});
      ++packed;
    } catch (const PackError&) {
      ++rejected;
    }
  }
  CHECK(rejected > 200);
  MESSAGE("corruptions packed " << packed << ", rejected " << rejected);
}

namespace {

// A character LM file as tools/train/charlm.py writes it: every context of up
// to `order` - 1 = 1 tokens, rows of small costs.
struct LmFile {
  std::vector<int32_t> keys;
  std::vector<uint8_t> logp;
  std::map<std::string, std::string> meta;
  std::string keys_dtype = "I32", logp_dtype = "U8";
  LmFile() {
    const uint32_t V = static_cast<uint32_t>(expected_vocab().size());
    keys.push_back(0);
    for (uint32_t t = 0; t < V; ++t) keys.push_back(static_cast<int32_t>(t + 1));
    for (size_t i = 0; i < keys.size() * V; ++i) logp.push_back(static_cast<uint8_t>(i % 40));
    meta = {{"lm.order", "2"}, {"vocab", nlohmann::json(expected_vocab()).dump()}, {"lm.info", "test LM"}};
  }
  std::vector<uint8_t> bytes() const {
    StEntry k{"lm.keys", keys_dtype, {keys.size()}, {}};
    k.data.resize(keys.size() * 4);
    std::memcpy(k.data.data(), keys.data(), k.data.size());
    StEntry l{"lm.logp", logp_dtype, {keys.size(), logp.size() / keys.size()}, logp};
    return st_serialize({k, l}, meta);
  }
};

}  // namespace

TEST_CASE("pack --lm: the LM's tables reach the image as they were; every defect is named, no file written") {
  TmpDir tmp;
  const fs::path ck = tmp.p / "model.safetensors", lmf = tmp.p / "lm.safetensors", out = tmp.p / "out.esm";
  auto write = [](const fs::path& p, const std::vector<uint8_t>& b) {
    FILE* f = std::fopen(p.c_str(), "wb");
    REQUIRE(f);
    std::fwrite(b.data(), 1, b.size(), f);
    std::fclose(f);
  };
  write(ck, make_ckpt().bytes());
  PackOptions opt;
  opt.lm = lmf.string();

  const LmFile good;
  write(lmf, good.bytes());
  const PackReport rep = pack_file(ck.string(), out.string(), opt);
  CHECK(rep.lm_contexts == good.keys.size());
  CHECK(rep.lm_order == 2);
  {
    std::vector<uint8_t> image(fs::file_size(out));
    FILE* f = std::fopen(out.c_str(), "rb");
    REQUIRE(std::fread(image.data(), 1, image.size(), f) == image.size());
    std::fclose(f);
    Opened o;
    open_all(image, o);
    REQUIRE(o.t.lm.present());
    CHECK(o.t.lm.order == 2);
    CHECK(std::equal(good.keys.begin(), good.keys.end(), o.t.lm.keys));
    CHECK(std::equal(good.logp.begin(), good.logp.end(), o.t.lm.logp));
    // Without --lm the same checkpoint packs to an image with no LM.
    Opened plain;
    open_all(pack_ok(make_ckpt()), plain);
    CHECK_FALSE(plain.t.lm.present());
  }
  fs::remove(out);

  auto expect = [&](const LmFile& lm, const std::string& want) {
    CAPTURE(want);
    write(lmf, lm.bytes());
    std::string got;
    try {
      pack_file(ck.string(), out.string(), opt);
    } catch (const PackError& e) {
      got = e.what();
    }
    CHECK_MESSAGE(got.find(want) != std::string::npos, got);
    CHECK_FALSE(fs::exists(out));
  };
  LmFile b = good;
  b.meta.erase("lm.order");
  expect(b, "lacks metadata 'lm.order'");
  b = good;
  b.meta["lm.order"] = "8";
  expect(b, "'lm.order' = '8' is not an integer in [1, 7]");
  b = good;
  b.meta["lm.order"] = "1";
  expect(b, "lm.order 1 allows 0");
  b = good;
  b.meta["vocab"] = "[\"<eos>\", \"a\"]";
  expect(b, "is not the model's");
  b = good;
  b.keys_dtype = "U32";
  expect(b, "tensor 'lm.keys' is U32");
  b = good;
  b.logp.resize(b.logp.size() - b.keys.size());  // V - 1 columns
  expect(b, "tensor 'lm.logp' is U8 [30, 28]");
  b = good;
  std::swap(b.keys[3], b.keys[4]);
  expect(b, "entry 4 (3) is not above entry 3 (4)");
  b = good;
  b.keys[0] = 1;
  b.keys[1] = 0;
  expect(b, "does not start with the empty context");
  opt.lm = (tmp.p / "missing.safetensors").string();
  expect(good, "missing.safetensors");
}
