// DecoderStep (lib/model/decoder_step.h), the one copy of the decoder's network
// that greedy runs at B = 1 and beam search at B = the live hypotheses: a step
// of B rows gives each row exactly what a step of that row alone gives (state,
// centre, query, logits, attention weights), on every ISA level, over windows
// that differ per row and cross the ring's wrap; and the ISA levels agree.
#include <cstring>
#include <random>
#include <vector>

#include "doctest.h"
#include "harness.h"
#include "kernels/attention/attention.h"
#include "model/arena.h"
#include "model/decoder_step.h"
#include "model/frame_ring.h"

using namespace earshot;
using namespace earshot::test;

namespace {

// B rows of decoder state in their own arena-aligned buffers.
struct Rows {
  Rows(const ModelHparams& hp, uint32_t B)
      : X(hp.dec_embed + hp.enc_hidden), Hd(hp.dec_hidden), x(B * X), h8(B * Hd), c16(B * Hd), p(B) {}
  DecoderRows view(uint32_t first = 0) {
    return DecoderRows{x.data() + first * X, h8.data() + first * Hd, c16.data() + first * Hd, p.data() + first};
  }
  size_t X, Hd;
  std::vector<int8_t> x, h8;
  std::vector<int16_t> c16;
  std::vector<int64_t> p;
};

struct Out {
  std::vector<int8_t> q8;
  std::vector<int16_t> logits, probs, adv;
};

// Two steps (head, tail, head) of B rows from `init`, at once or row by row.
void run(const Model& m, const FrameRing& ring, Rows& s, const std::vector<int32_t>& y, bool batched, kernels::Isa isa,
         Out& o) {
  const ModelHparams& hp = m.hparams();
  const auto B = static_cast<uint32_t>(y.size());
  const DecoderStep step(&m);
  std::vector<uint8_t> scratch_mem(DecoderStep::scratch_size(hp, B) + kArenaAlign);
  void* scratch = arena_align(scratch_mem.data());
  o.q8.assign(size_t{B} * hp.enc_hidden, 0);
  o.logits.assign(size_t{B} * hp.vocab_size, 0);
  o.probs.assign(size_t{B} * kernels::kAttnMaxFrames, 0);
  o.adv.assign(B, 0);
  const auto n = static_cast<int64_t>(ring.count());
  auto head = [&](uint32_t i, uint32_t b) { step.head(y.data() + i, b, s.view(i), o.adv.data() + i, isa, scratch); };
  auto tail = [&](uint32_t i, uint32_t b) {
    std::vector<DecoderWindow> w(b);
    for (uint32_t k = 0; k < b; ++k) w[k] = DecoderStep::window(s.p[i + k] >> 8, n, hp.half_window);
    step.tail(ring, w.data(), b, s.view(i), o.q8.data() + size_t{i} * hp.enc_hidden,
              o.logits.data() + size_t{i} * hp.vocab_size, o.probs.data() + size_t{i} * kernels::kAttnMaxFrames, isa,
              scratch);
  };
  if (batched) {
    head(0, B);
    tail(0, B);
    head(0, B);
  } else {
    for (uint32_t i = 0; i < B; ++i) {
      head(i, 1);
      tail(i, 1);
      head(i, 1);
    }
  }
}

}  // namespace

TEST_CASE("a decoder step of B rows equals each row stepped alone, on every ISA level") {
  for (const RandomModelSpec& spec : {RandomModelSpec::tiny(), RandomModelSpec::target()}) {
    OpenModel om(spec);
    const Model& m = om.model;
    const ModelHparams& hp = m.hparams();
    const uint32_t W = hp.half_window, R = 5 * W + 3;
    std::vector<uint8_t> ring_mem(size_t{2 * R + 1} * hp.enc_hidden + 2 * kArenaAlign);
    ArenaCarver a(arena_align(ring_mem.data()), ring_mem.size() - kArenaAlign);
    FrameRing ring;
    ring.layout(a, R, hp.enc_hidden, 2 * W + 1);
    REQUIRE_FALSE(a.overflow());
    std::mt19937 rng(7);
    std::vector<int8_t> frame(hp.enc_hidden);
    const uint32_t pushed = 3 * R + 5;  // the ring has wrapped
    for (uint32_t k = 0; k < pushed; ++k) {
      for (auto& v : frame) v = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
      ring.push(frame.data());
    }
    for (uint32_t B : {1u, 2u, 5u, 8u, 32u}) {
      Rows init(hp, B);
      std::vector<int32_t> y(B);
      for (uint32_t i = 0; i < B; ++i) {
        y[i] = static_cast<int32_t>(rng() % hp.vocab_size);
        // Centres spread over the frames still in the ring (the last ones past the end).
        init.p[i] = static_cast<int64_t>(ring.oldest() + W + rng() % (R - W + 4)) * 256 + rng() % 256;
      }
      for (auto& v : init.x) v = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
      for (auto& v : init.h8) v = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
      for (auto& v : init.c16) v = static_cast<int16_t>(static_cast<int>(rng() % 8192) - 4096);
      Rows ref = init;
      Out want;
      run(m, ring, ref, y, false, kernels::Isa::scalar, want);
      for (kernels::Isa isa : supported_isas()) {
        for (bool batched : {false, true}) {
          INFO("H=" << hp.enc_hidden << " B=" << B << " isa " << kernels::isa_name(isa) << " batched " << batched);
          Rows got = init;
          Out o;
          run(m, ring, got, y, batched, isa, o);
          CHECK(got.x == ref.x);
          CHECK(got.h8 == ref.h8);
          CHECK(got.c16 == ref.c16);
          CHECK(got.p == ref.p);
          CHECK(o.q8 == want.q8);
          CHECK(o.logits == want.logits);
          CHECK(o.probs == want.probs);
          CHECK(o.adv == want.adv);
        }
      }
      CHECK(ref.p != init.p);  // the step moved the centres
    }
  }
}
