#include "earshot/audio_file.h"

#include "earshot/earshot_audio.h"

namespace earshot {

earshot_status load_audio(const std::string& path, LoadedAudio& out, Error& err) {
  earshot_audio* a = nullptr;
  earshot_status st = earshot_audio_open(path.c_str(), 16000, &a);
  if (st != EARSHOT_OK) return err.set(st, "%s", earshot_audio_last_error());
  earshot_audio_info info{};
  earshot_audio_get_info(a, &info);
  out.samples.clear();
  size_t got = 0;
  do {
    const size_t at = out.samples.size();
    out.samples.resize(at + 65536);
    st = earshot_audio_read(a, out.samples.data() + at, 65536, &got);
    out.samples.resize(at + got);
  } while (st == EARSHOT_OK && got);
  earshot_audio_close(a);
  if (st != EARSHOT_OK) return err.set(st, "%s", earshot_audio_last_error());
  out.source_rate = static_cast<int>(info.source_rate_hz);
  out.source_channels = static_cast<int>(info.source_channels);
  err.clear();
  return EARSHOT_OK;
}

}  // namespace earshot
