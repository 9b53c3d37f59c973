// Where the device app's audio comes from: 16-bit mono PCM at a fixed rate,
// pulled in chunks. The app asks for 10 ms at a time (transcriber.cpp) and
// hands each chunk to earshot_push().
//
// Implementations:
//   WavFileSource (wav_file_source.h)  a WAV file read through semihosting
//                                      (QEMU, or a board with a debugger)
//   a board's microphone driver        e.g. I2S or PDM into a DMA ring of a
//                                      few 10 ms periods (plus CIC/FIR
//                                      decimation for PDM): read() blocks
//                                      until the next period is complete,
//                                      copies it out and returns; it returns
//                                      0 when the app should stop listening
//                                      (button released, end-of-utterance).
// Nothing else changes when the source does.
#pragma once
#include <cstddef>
#include <cstdint>

namespace earshot::fw {

class AudioSource {
 public:
  // Sample rate of what read() returns; must equal the model's (16 kHz).
  virtual uint32_t sample_rate_hz() const = 0;
  // Up to `max` samples into pcm. Returns how many (0: end of the stream), or
  // -1 on an error that error() describes. May block (a microphone).
  virtual long read(int16_t* pcm, size_t max) = 0;
  // What went wrong after read() returned -1 (static storage).
  virtual const char* error() const = 0;

 protected:
  // Not virtual, and protected: sources are never deleted through this
  // interface (a virtual destructor would link operator delete, and with it
  // the heap).
  ~AudioSource() = default;
};

}  // namespace earshot::fw
