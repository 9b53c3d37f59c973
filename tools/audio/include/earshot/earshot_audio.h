/* earshot — host-side audio input (libearshot-audio; hosted builds only).
 *
 * Opens any file libsndfile reads (WAV, FLAC, OGG, AIFF, ...), down-mixes it
 * to mono and resamples it with libsoxr to the rate the model takes, as int16
 * PCM for earshot_push(). The file is read in blocks: a two-hour recording
 * needs the same memory as a short one (standard input, which cannot seek, is
 * the exception: it is held in memory while it is read).
 *
 * Unlike libearshot (earshot.h), this library allocates and does file I/O: it
 * is for PCs and ARM Linux boards, not for bare-metal firmware. The samples are
 * exactly those `earshot transcribe` decodes, for any block size.
 */
#ifndef EARSHOT_EARSHOT_AUDIO_H
#define EARSHOT_EARSHOT_AUDIO_H

#include <stddef.h>
#include <stdint.h>

#include "earshot/earshot.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct earshot_audio earshot_audio;

typedef struct earshot_audio_info {
  uint32_t source_rate_hz;   /* the file's sample rate */
  uint32_t source_channels;  /* its channels (down-mixed by averaging) */
  uint64_t source_frames;    /* its length in source samples per channel (0 if unknown) */
  uint32_t sample_rate_hz;   /* the rate earshot_audio_read() delivers */
} earshot_audio_info;

/* Opens `path` ("-": standard input) for reading at `sample_rate_hz` (0: 16000).
 * On failure *audio is NULL, the status is EARSHOT_ERR_IO (cannot be opened:
 * missing, unreadable, a folder) or EARSHOT_ERR_BAD_AUDIO (not audio, empty,
 * unsupported) and earshot_audio_last_error() names the file and the defect. */
earshot_status earshot_audio_open(const char* path, uint32_t sample_rate_hz, earshot_audio** audio);

earshot_status earshot_audio_get_info(const earshot_audio* audio, earshot_audio_info* info);

/* Reads up to `max` samples into `pcm`; *got is how many (0 only at the end of
 * the file). Any sequence of block sizes gives the same samples. */
earshot_status earshot_audio_read(earshot_audio* audio, int16_t* pcm, size_t max, size_t* got);

/* Frees the reader (NULL is fine). */
void earshot_audio_close(earshot_audio* audio);

/* The message of this thread's last failed earshot_audio_* call ("" if none). */
const char* earshot_audio_last_error(void);

#ifdef __cplusplus
}
#endif
#endif
