// Model schema defects (MODEL.md "Metadata" / "Tensors"): every missing or
// misshapen tensor, every missing or out-of-range key, the wrong arch and bad
// vocabularies are rejected with EARSHOT_ERR_BAD_MODEL and a message that
// names the tensor or key. The images are otherwise valid (fresh CRC), so
// only the schema can catch them.
#include <cstring>
#include <string>

#include "doctest.h"
#include "harness.h"

using namespace earshot;
using namespace earshot::test;

namespace {

const RandomModelSpec kSpec = [] {
  RandomModelSpec s = RandomModelSpec::tiny();
  s.layers = 2;  // a second layer: I_l = H there
  return s;
}();

// Opens `parts`; returns the error message ("" if it opened).
std::string open_error(const ImageParts& parts) {
  AlignedBytes b(parts.build());
  Model m;
  Error err;
  if (m.open(b.span(), err) == EARSHOT_OK) return "";
  CHECK(err.status == EARSHOT_ERR_BAD_MODEL);
  CHECK_FALSE(m.is_open());
  return err.message;
}

bool has(const std::string& msg, const std::string& what) { return msg.find(what) != std::string::npos; }

const char* const kTensors[] = {"input.mean_q8", "input.mult", "input.shift", "enc.0.lstm", "enc.1.lstm", "ctc.proj",
                                "dec.embed",     "dec.lstm",   "dec.advance", "dec.query",  "dec.attn",   "dec.out"};

}  // namespace

TEST_CASE("the random image itself opens") { CHECK(open_error(random_model_parts(kSpec)) == ""); }

TEST_CASE("each missing tensor is named") {
  for (const char* name : kTensors) {
    ImageParts p = random_model_parts(kSpec);
    REQUIRE(p.remove_tensor(name));
    const std::string msg = open_error(p);
    INFO(name << ": " << msg);
    CHECK(has(msg, std::string("'") + name + "' is missing"));
  }
}

TEST_CASE("each tensor with a wrong shape is named with its expectation") {
  const uint32_t H = kSpec.hidden, Hd = kSpec.dec_hidden, E = kSpec.embed, I0 = kSpec.stack * kSpec.n_mels;
  struct Blob {
    const char* name;
    int32_t rows, c0, c1;
  };
  // One row or column off, in turn, for every packed matrix.
  const Blob blobs[] = {
      {"enc.0.lstm", 4 * int32_t(H) + 4, int32_t(I0), int32_t(H) + 1},
      {"enc.0.lstm", 4 * int32_t(H), int32_t(I0) - 1, int32_t(H)},
      {"enc.1.lstm", 4 * int32_t(H), int32_t(H) + 3, int32_t(H)},
      {"ctc.proj", 28, int32_t(H), 0},
      {"ctc.proj", 29, int32_t(H) - 1, 0},
      {"dec.lstm", 4 * int32_t(Hd), int32_t(E + H) + 1, int32_t(Hd)},
      {"dec.lstm", 4 * int32_t(Hd), int32_t(E + H), int32_t(Hd) - 1},
      {"dec.advance", 2, int32_t(Hd), 0},
      {"dec.query", int32_t(H) + 1, int32_t(Hd), 0},
      {"dec.out", 29, int32_t(Hd), int32_t(H) + 1},
      {"dec.out", 29, int32_t(Hd) + 1, int32_t(H) - 1},  // right total columns, wrong split
      {"dec.out", 29, int32_t(Hd + H), 0},               // right total, one segment
  };
  for (const Blob& b : blobs) {
    ImageParts p = random_model_parts(kSpec);
    *p.tensor(b.name) = random_blob(b.name, b.rows, b.c0, b.c1, 9);
    const std::string msg = open_error(p);
    INFO(b.name << " " << b.rows << "x" << b.c0 << "+" << b.c1 << ": " << msg);
    CHECK(has(msg, std::string("'") + b.name + "'"));
    CHECK(has(msg, "expected"));
  }
  // Plain tensors: one element more, then another dtype.
  for (const char* name : {"input.mean_q8", "input.mult", "input.shift", "dec.embed", "dec.attn"}) {
    ImageParts p = random_model_parts(kSpec);
    ImageWriter::Tensor* t = p.tensor(name);
    const size_t row = t->data.size() / t->dims[0];
    t->dims[0] += 1;
    t->data.resize(t->data.size() + row);
    std::string msg = open_error(p);
    INFO(name << ": " << msg);
    CHECK(has(msg, std::string("'") + name + "'"));
    CHECK(has(msg, "expected"));

    p = random_model_parts(kSpec);
    t = p.tensor(name);
    t->dtype = t->dtype == DType::kInt8 ? DType::kUInt8 : DType::kFloat32;  // same element size
    msg = open_error(p);
    CHECK(has(msg, std::string("'") + name + "'"));
    CHECK(has(msg, "expected"));
  }
}

TEST_CASE("a wrong arch is rejected before anything else") {
  ImageParts p = random_model_parts(kSpec);
  p.set_string("model.arch", "earshot-las-v2");
  const std::string msg = open_error(p);
  CHECK(has(msg, "model.arch"));
  CHECK(has(msg, "earshot-las-v2"));
  CHECK(has(msg, "earshot-las-v1"));
}

TEST_CASE("each missing metadata key is named") {
  const char* const keys[] = {"model.arch", "model.name", "vocab", "frontend.sample_rate_hz", "frontend.window_samples",
                              "frontend.hop_samples", "frontend.fft_size", "frontend.num_mels", "frontend.mel_low_hz",
                              "frontend.mel_high_hz", "frontend.floor_db_q8", "encoder.stack", "encoder.layers",
                              "encoder.hidden", "decoder.hidden", "decoder.embed", "decoder.half_window",
                              "decoder.max_advance_q8", "decoder.max_chars", "decoder.onset_back"};
  for (const char* key : keys) {
    ImageParts p = random_model_parts(kSpec);
    REQUIRE(p.remove_meta(key));
    const std::string msg = open_error(p);
    INFO(key << ": " << msg);
    CHECK(has(msg, std::string("'") + key + "'"));
  }
}

TEST_CASE("hyperparameters out of range, or not matching the tensors, are named") {
  struct Case {
    const char* key;
    uint32_t value;
    const char* expect;  // in the message
  };
  const Case cases[] = {
      {"encoder.layers", 0, "encoder.layers"},
      {"encoder.layers", 9, "encoder.layers"},
      {"encoder.layers", 3, "'enc.2.lstm' is missing"},
      {"encoder.hidden", 0, "encoder.hidden"},
      {"encoder.hidden", 48, "'enc.0.lstm'"},
      {"encoder.stack", 2, "'enc.0.lstm'"},
      {"decoder.hidden", 33, "'dec.lstm'"},
      {"decoder.embed", 9, "'dec.embed'"},
      {"decoder.half_window", 32, "decoder.half_window"},
      {"decoder.max_advance_q8", 0, "decoder.max_advance_q8"},
      {"decoder.max_chars", 0, "decoder.max_chars"},
      {"frontend.num_mels", 41, "'input.mean_q8'"},
      {"frontend.fft_size", 300, "fft"},
      {"encoder.prime_ms", 0, "encoder.prime_ms"},  // optional, but when present 1..2000
      {"encoder.prime_ms", 2001, "encoder.prime_ms"},
  };
  for (const Case& c : cases) {
    ImageParts p = random_model_parts(kSpec);
    p.set_u32(c.key, c.value);
    const std::string msg = open_error(p);
    INFO(c.key << " = " << c.value << ": " << msg);
    CHECK(has(msg, c.expect));
  }
  ImageParts p = random_model_parts(kSpec);
  p.set_string("encoder.hidden", "32");  // right value, wrong type
  CHECK(has(open_error(p), "encoder.hidden"));
}

TEST_CASE("bad vocabularies are named") {
  struct Case {
    std::string vocab;
    const char* expect;
  };
  std::string letters;
  for (char c = 'a'; c <= 'z'; ++c) letters += std::string("\n") + c;
  const Case cases[] = {
      {"<blank>\n \n'" + letters, "token 0"},
      {"<eos>\n \nab" + letters, "token 2"},
      {"<eos>\n \n " + letters, "repeats"},
      {"<eos>", "tokens"},
      {"<eos>\n \n'" + letters + "\n.", "vocab"},  // 30 tokens: the tensors have 29 rows
  };
  for (const Case& c : cases) {
    ImageParts p = random_model_parts(kSpec);
    p.set_string("vocab", c.vocab);
    const std::string msg = open_error(p);
    INFO(msg);
    const bool named = has(msg, c.expect) || (std::string(c.expect) == "vocab" && has(msg, "'ctc.proj'"));
    CHECK(named);
  }
}

TEST_CASE("corrupt blob contents and attention constants are named") {
  {
    ImageParts p = random_model_parts(kSpec);
    p.tensor("dec.query")->data[64 + 16 * 32 + 5] ^= 0x01;  // a weight: bias_u8 no longer matches
    const std::string msg = open_error(p);
    INFO(msg);
    CHECK(has(msg, "'dec.query'"));
  }
  {
    ImageParts p = random_model_parts(kSpec);
    p.tensor("enc.0.lstm")->data[0] = 'X';  // blob tag
    CHECK(has(open_error(p), "'enc.0.lstm'"));
  }
  {
    ImageParts p = random_model_parts(kSpec);
    ImageWriter::Tensor* t = p.tensor("dec.attn");
    const int32_t bad_shift = 0;
    std::memcpy(t->data.data() + 4, &bad_shift, 4);
    CHECK(has(open_error(p), "'dec.attn'"));
  }
  {
    ImageParts p = random_model_parts(kSpec);
    ImageWriter::Tensor* t = p.tensor("input.shift");
    const int32_t bad_shift = 63;
    std::memcpy(t->data.data(), &bad_shift, 4);
    CHECK(has(open_error(p), "input.shift"));
  }
}

TEST_CASE("container defects still come from the image reader") {
  std::vector<uint8_t> img = random_model_image(kSpec);
  img[img.size() / 2] ^= 0xFF;
  AlignedBytes b(img);
  Model m;
  Error err;
  CHECK(m.open(b.span(), err) == EARSHOT_ERR_BAD_MODEL);
  CHECK(has(err.message, "CRC"));
  AlignedBytes t(std::span<const uint8_t>(img.data(), 100));
  CHECK(m.open(t.span(), err) == EARSHOT_ERR_BAD_MODEL);
  CHECK(has(err.message, "truncated"));
  CHECK_FALSE(m.is_open());
}

// Found by test_corruption.cpp's CRC-repaired byte-flip sweep under UBSan: a
// flipped high byte of one band's mean (here -2^31 + 4352) passed the schema,
// and the encoder's `feature - mean` (int32) overflowed on the first frame.
// Features are int16 Q8 dB, so a mean outside int16 is a defect, not a model.
TEST_CASE("a feature mean outside the int16 feature range is named") {
  for (const int32_t bad : {int32_t{-2147479296}, int32_t{32768}, int32_t{-32769}, int32_t{0x7FFFFFFF}}) {
    ImageParts p = random_model_parts(kSpec);
    ImageWriter::Tensor* t = p.tensor("input.mean_q8");
    std::memcpy(t->data.data() + 5 * 4, &bad, 4);  // band 5
    const std::string msg = open_error(p);
    INFO(bad << ": " << msg);
    CHECK(has(msg, "input.mean_q8"));
  }
}
