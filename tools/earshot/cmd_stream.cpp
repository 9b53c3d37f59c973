// earshot stream: raw s16le PCM at the model's rate (16 kHz) on stdin, in any
// chunking, through the C API; partial text as it grows and a final line.
// Memory is constant: one read buffer and the recognizer's arena.
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "recognize.h"

namespace earshot::cli {
namespace {

using ojson = nlohmann::ordered_json;

struct Options {
  ModelOptions model;
  bool json = false;
  size_t read_size = 4096;
};

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

size_t terminal_columns() {
  struct winsize w {};
  return ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 1 ? w.ws_col : 80;
}

std::string dump(const ojson& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

int run(const Options& o) {
  std::string why;
  if (!select_isa(o.model.isa, why)) {
    std::fprintf(stderr, "earshot stream: %s\n", why.c_str());
    return kExitUsage;
  }
  if (isatty(STDIN_FILENO)) {
    std::fprintf(stderr,
                 "earshot stream: standard input is a terminal; pipe raw s16le 16 kHz mono PCM into it, e.g. "
                 "arecord -f S16_LE -r 16000 -c 1 -t raw | earshot stream\n");
    return kExitUsage;
  }
  OpenModel model;
  Session session;
  if (!model.open(o.model, why) || !session.create(model, o.model, why)) {
    std::fprintf(stderr, "earshot stream: %s\n", why.c_str());
    return kExitFailure;
  }
  session.report("stream", model, o.model);
  const earshot_model_info& info = model.info();
  earshot_recognizer* rec = session.rec();

  // Ctrl-C / SIGTERM end the input: the final line still comes.
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: read() returns EINTR
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  const bool live = !o.json && isatty(STDOUT_FILENO);
  std::unique_ptr<unsigned char[]> buf(new unsigned char[o.read_size + 1]);
  std::unique_ptr<int16_t[]> pcm(new int16_t[o.read_size / 2 + 1]);
  size_t have = 0;  // bytes in buf (0 or 1 carried over: half a sample)
  uint64_t samples = 0;
  std::string shown;  // the partial text last shown
  earshot_status st;

  uint32_t finals = 0;
  // One line per finished utterance; an utterance with nothing decoded (the
  // end of input in silence) writes nothing unless it is the only one.
  auto emit_final = [&](bool last) -> bool {
    Transcript t;
    std::string why;
    if (!copy_result(rec, info, t, why)) {
      std::fprintf(stderr, "earshot stream: %s\n", why.c_str());
      return false;
    }
    if (t.segments.empty() && !(last && finals == 0)) {
      if (live && !shown.empty()) std::printf("\r\033[K");
      shown.clear();
      return true;
    }
    ++finals;
    if (o.json) {
      ojson j;
      j["final"] = t.text;
      j["utterance"] = finals - 1;
      j["confidence"] = confidence_value(t.confidence_q15);
      if (o.model.constrained()) j["no_match"] = t.no_match, j["match"] = confidence_value(t.match_q15);
      j["words"] = words_json(t);
      j["tokens"] = t.token_frames.size();
      j["encoder_frames"] = t.encoder_frames;
      j["token_times"] = token_times_json(info, t);
      std::printf("%s\n", dump(j).c_str());
    } else {
      std::printf(live ? "\r\033[K%s\n" : "%s\n", t.no_match ? kNoMatch : t.text.c_str());
    }
    std::fflush(stdout);
    shown.clear();
    return true;
  };
  auto show_partial = [&](const earshot_result& r) {
    if (shown.size() == r.num_tokens && shown.compare(0, shown.size(), r.text, r.num_tokens) == 0) return;
    shown.assign(r.text, r.num_tokens);
    if (o.json) {
      ojson j;
      j["partial"] = shown;
      std::printf("%s\n", dump(j).c_str());
    } else if (live) {
      const size_t cols = terminal_columns() - 1;  // stay on one line so '\r' returns to its start
      const std::string tail = shown.size() > cols ? shown.substr(shown.size() - cols) : shown;
      std::printf("\r\033[K%s", tail.c_str());
    } else {
      return;  // piped plain output: final lines only
    }
    std::fflush(stdout);
  };

  int status = kExitOk;
  while (!g_stop) {
    const ssize_t n = read(STDIN_FILENO, buf.get() + have, o.read_size);  // have <= 1: fits read_size + 1
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "earshot stream: reading standard input: %s\n", std::strerror(errno));
      status = kExitFailure;
      break;
    }
    have += static_cast<size_t>(n);
    const size_t count = have / 2;
    for (size_t i = 0; i < count; ++i)
      pcm[i] = static_cast<int16_t>(static_cast<uint16_t>(buf[2 * i] | (buf[2 * i + 1] << 8)));
    if (have & 1) buf[0] = buf[have - 1];
    have &= 1;
    samples += count;
    // Utterance after utterance: push_some stops where one ends.
    for (size_t off = 0; off < count;) {
      size_t k = 0;
      if ((st = earshot_push_some(rec, pcm.get() + off, count - off, &k)) != EARSHOT_OK) {
        std::fprintf(stderr, "earshot stream: %s\n", api_error("earshot_push_some", st).c_str());
        return kExitFailure;
      }
      off += k;
      earshot_result r{};
      earshot_get_result(rec, &r);
      if (!r.is_final) {
        show_partial(r);
        continue;
      }
      if (!emit_final(false)) return kExitFailure;
      if ((st = earshot_next_utterance(rec)) != EARSHOT_OK) {
        std::fprintf(stderr, "earshot stream: %s\n", api_error("earshot_next_utterance", st).c_str());
        return kExitFailure;
      }
    }
  }
  if (samples == 0) {
    if (live && !shown.empty()) std::printf("\n");
    std::fprintf(stderr, "earshot stream: no audio on standard input\n");
    return kExitFailure;
  }
  if ((st = earshot_finish(rec)) != EARSHOT_OK) {
    std::fprintf(stderr, "earshot stream: %s\n", api_error("earshot_finish", st).c_str());
    return kExitFailure;
  }
  if (!emit_final(true)) return kExitFailure;
  if (have) {
    std::fprintf(stderr, "earshot stream: input ended inside a sample (odd byte count); the last byte was ignored\n");
    status = kExitFailure;
  }
  return status;
}

}  // namespace

Runner add_stream(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* sub = app.add_subcommand("stream", "Recognize raw 16 kHz s16le PCM from standard input as it arrives");
  add_model_options(sub, o->model);
  sub->add_flag("--json", o->json,
                "JSON lines: {\"partial\": text} as it grows, then per utterance {\"final\": text, utterance, "
                "confidence, [no_match,] words, tokens, encoder_frames, token_times}");
  sub->add_option("--read-size", o->read_size, "Bytes per read from standard input (any size gives the same text)")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  sub->footer(
      "Input: raw signed 16-bit little-endian mono PCM at 16 kHz, in any chunking, e.g.\n"
      "  arecord -f S16_LE -r 16000 -c 1 -t raw | earshot stream\n"
      "  sox in.wav -t raw -r 16000 -c 1 -b 16 -e signed -L - | earshot stream --json\n"
      "On a terminal the partial text is updated in place; piped, only final lines are written (all with --json).\n"
      "A stream is any number of utterances: each final line comes when the decoder ends one (end token,\n"
      "--endpoint-ms of silence, or the character limit) or at end of input (or Ctrl-C). Memory is\n"
      "constant however long it runs; times count from the start of the stream.\n"
      "Exit: 0 ok, 1 no audio, a read error, a stray odd byte at the end or a model failure, 2 usage.");
  return [o] { return run(*o); };
}

}  // namespace earshot::cli
