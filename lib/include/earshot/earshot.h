/* earshot — offline speech recognizer: public C API.
 *
 * Ownership and lifetimes
 * -----------------------
 * The library never allocates: every byte it uses is memory the caller passes
 * in, and that memory stays the caller's.
 *
 *   image       The model image (.esm), read in place (e.g. from flash). At
 *               least 16-byte aligned. Must outlive the model handle.
 *   model       Lives in caller memory of earshot_model_handle_size() bytes
 *               (<= EARSHOT_MODEL_HANDLE_BYTES on every target, so a static
 *               buffer of that size always fits), any alignment. Read-only
 *               after earshot_model_open(): any number of recognizers, on any
 *               number of threads, may share one model. Must outlive them.
 *   recognizer  Lives at the start of its arena, earshot_arena_size() bytes of
 *               caller memory (any alignment) that hold all of its state; the
 *               size depends only on the model and the config, never on how
 *               long the audio is. One thread at a time per recognizer.
 *
 * There are no destroy functions: nothing is held outside the caller's
 * memory, so reusing or freeing that memory ends a handle. Pointers inside an
 * earshot_result point into the arena and stay valid until the next
 * earshot_push / earshot_finish / earshot_reset on that recognizer.
 *
 * Errors: every call returns an earshot_status; earshot_status_string() names
 * the code and earshot_last_error() says what exactly was wrong.
 *
 * Results are bit-identical for any chunking of the audio and on every target
 * and instruction-set level.
 */
#ifndef EARSHOT_EARSHOT_H
#define EARSHOT_EARSHOT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EARSHOT_VERSION_MAJOR 0
#define EARSHOT_VERSION_MINOR 2
#define EARSHOT_VERSION_PATCH 0

typedef enum earshot_status {
  EARSHOT_OK = 0,
  EARSHOT_ERR_INVALID_ARGUMENT = 1, /* a parameter is out of its documented range */
  EARSHOT_ERR_BAD_AUDIO = 2,        /* audio container or format is not what is needed */
  EARSHOT_ERR_BAD_MODEL = 3,        /* model image failed validation */
  EARSHOT_ERR_MEMORY_TOO_SMALL = 4, /* caller-given memory is smaller than required */
  EARSHOT_ERR_BAD_GRAMMAR = 5,      /* grammar or word list could not be compiled */
  EARSHOT_ERR_IO = 6                /* host-side file I/O failed */
} earshot_status;

/* Static, never NULL. */
const char* earshot_status_string(earshot_status status);

/* The message of the last failed earshot_* call on this thread (per thread on
 * hosted targets; one buffer on bare metal, which is single-threaded). Empty
 * if none failed yet. Valid until the next failing call on the thread. */
const char* earshot_last_error(void);

/* ---------------------------------------------------------------- model */

typedef struct earshot_model earshot_model;

#define EARSHOT_MODEL_HANDLE_BYTES 4096

/* Bytes of handle memory earshot_model_open() needs. */
size_t earshot_model_handle_size(void);

/* Validates the image (format, checksum, model schema) and builds the model
 * handle in handle_mem. On failure *model is NULL and earshot_last_error()
 * names the defect (EARSHOT_ERR_BAD_MODEL). */
earshot_status earshot_model_open(const void* image, size_t image_bytes, void* handle_mem, size_t handle_mem_bytes,
                                  earshot_model** model);

typedef struct earshot_model_info {
  const char* name;               /* model.name, NUL-terminated (<= 63 chars), valid while the model */
  uint32_t sample_rate_hz;        /* of the PCM earshot_push() takes */
  uint32_t encoder_frame_samples; /* samples per encoder frame: token_frames[i] * this = sample offset */
  uint32_t vocab_size;            /* output tokens, <eos> included */
  uint32_t max_chars;             /* the model's limit of characters per utterance */
  uint32_t lm_contexts;           /* contexts of the image's character language model; 0: none */
  uint32_t lm_order;              /* its n-gram order (0: none) */
} earshot_model_info;

earshot_status earshot_model_get_info(const earshot_model* model, earshot_model_info* info);

/* ---------------------------------------------------------------- recognizer */

typedef struct earshot_recognizer earshot_recognizer;

/* Zero-initialise, then set what you need; NULL means all defaults. */
typedef struct earshot_recognizer_config {
  uint32_t max_chars; /* 0: the model's limit; else 1..4096 characters per utterance */
  uint32_t beam;      /* 0 or 1: greedy decoding; 2..32: beam search of that width (more arena;
                         lib/model/MODEL.md "Beam search"). Above 32: EARSHOT_ERR_INVALID_ARGUMENT */
  uint32_t endpoint_ms; /* end of utterance on silence: once speech started, this long without a
                           new sound (blank CTC frames) ends the utterance (with ctc_search and a
                           grammar, a pause inside a phrase: up to twice this). 0: 900 ms; <= 60000 */
  uint32_t reject_q15;  /* out-of-grammar rejection: with a grammar, a phrase whose match_q15
                           (earshot_result) is below this is "no match". 0: the calibrated default
                           for the decoding mode (models/README.md); 1: never reject; <= 32768 */
  uint32_t ctc_weight_pct; /* beam search: weight of the CTC prefix score against the attention
                              decoder's, in percent. 0: the default (30; 70 while a grammar is set);
                              1..100; EARSHOT_CTC_OFF: attention only. Greedy decoding does not use it */
  uint32_t lm_weight_pct; /* beam search without a grammar: weight of the image's character language
                             model (earshot_model_info.lm_contexts > 0), in percent. 0: the default
                             (30); 1..100; EARSHOT_LM_OFF: none. Ignored when the image has no LM */
  uint32_t ctc_search; /* nonzero: decode with the CTC head alone, a frame-synchronous prefix search
                          over the grammar with no decoder steps (lib/model/MODEL.md "CTC search"):
                          exact for phrase lists when `beam` prefixes fit, and the most accurate mode
                          with a phrase list on real voices. `beam` is then the prefixes kept per frame
                          (0 or 1: 256; at most 4096). EARSHOT_ERR_INVALID_ARGUMENT in greedy-only builds */
} earshot_recognizer_config;
#define EARSHOT_CTC_OFF 1000u
#define EARSHOT_LM_OFF 1000u

/* Arena bytes a recognizer for this model and config needs. */
earshot_status earshot_arena_size(const earshot_model* model, const earshot_recognizer_config* config, size_t* bytes);

/* Builds a recognizer at the start of `arena` (arena_bytes >= earshot_arena_size;
 * less fails with EARSHOT_ERR_MEMORY_TOO_SMALL and touches nothing). */
earshot_status earshot_recognizer_create(const earshot_model* model, const earshot_recognizer_config* config,
                                         void* arena, size_t arena_bytes, earshot_recognizer** recognizer);

/* Feeds n samples of mono 16-bit PCM at the model's sample rate (any n, any
 * chunking). Decoding follows the audio: partial text is available at once. */
earshot_status earshot_push(earshot_recognizer* recognizer, const int16_t* pcm, size_t n);

/* Continuous streams (any number of utterances): like earshot_push, but
 * returns as soon as the current utterance becomes final (end token, endpoint
 * silence or the character limit); *consumed (may be NULL) is the number of
 * samples taken. Read the result, call earshot_next_utterance, and push the
 * remaining n - *consumed samples (while an utterance is final and
 * earshot_next_utterance has not been called, it takes nothing). Nothing is
 * lost or decoded twice:
 *   while (n) { earshot_push_some(r, pcm, n, &k); pcm += k; n -= k;
 *               earshot_get_result(r, &res); if (res.is_final) { use(res); earshot_next_utterance(r); } } */
earshot_status earshot_push_some(earshot_recognizer* recognizer, const int16_t* pcm, size_t n, size_t* consumed);

/* Starts the next utterance of the stream, keeping the audio context (the
 * front-end and encoder go on; the decoder waits for the next speech). Token
 * frames and times keep counting from the start of the stream. */
earshot_status earshot_next_utterance(earshot_recognizer* recognizer);

/* End of input: decodes what is left; the result becomes final. Pushing
 * again needs earshot_reset(). */
earshot_status earshot_finish(earshot_recognizer* recognizer);

typedef struct earshot_result {
  const char* text;              /* NUL-terminated; one character per token */
  uint32_t num_tokens;           /* characters in text */
  const uint32_t* token_frames;  /* [num_tokens] encoder frame of each character (attention window
                                    centre); times: frame * encoder_frame_samples / sample_rate_hz */
  uint32_t encoder_frames;       /* encoder frames computed so far */
  int is_final;                  /* non-zero once the text can no longer change (end token,
                                    character limit, or earshot_finish) */
  int no_match;                  /* non-zero if a grammar is set and the decoder could not
                                    complete any of its phrases (text is then empty) */
  int32_t score_q10;             /* the text's score: sum of the log-probabilities of its characters
                                    and the end token, Q10 natural-log units (<= 0); with the CTC
                                    search, its match score (lib/model/MODEL.md "CTC search") */
  uint32_t num_nbest;            /* entries earshot_get_nbest() has: once final, up to the beam
                                    width (1 with greedy decoding, 8 with the CTC search); 0 while
                                    partial, on no_match, or when nothing was decoded (silence) */
  const int32_t* token_logprobs_q10; /* [num_tokens] each character's log-probability (Q10, <= 0) */
  int32_t confidence_q15;        /* utterance confidence, 0..32768 (= 1): earshot_confidence_q15(score_q10,
                                    num_tokens + 1) once final; kept when a grammar rejects the text */
  uint32_t num_words;            /* entries earshot_get_word() has (space-separated words of text) */
  uint32_t utterance;            /* 0-based index of the utterance in the stream (earshot_next_utterance) */
  int32_t match_q15;             /* what out-of-grammar rejection compares with reject_q15, 0..32768:
                                    once final with beam search and CTC scoring, the geometric mean of
                                    the joint score with the CTC part taken relative to the best CTC
                                    path (lib/model/MODEL.md); with the CTC search, its score (the CTC
                                    log-probability against the best path, less 4 nats); otherwise
                                    confidence_q15 */
} earshot_result;

/* The text so far (partial while streaming, final after the end token or
 * earshot_finish). Pointers valid until the next push/finish/reset. */
earshot_status earshot_get_result(const earshot_recognizer* recognizer, earshot_result* result);

/* The index-th best hypothesis of the final result (0 = the text of
 * earshot_get_result), index < num_nbest, else EARSHOT_ERR_INVALID_ARGUMENT.
 * Ranked by length-normalised score, score_q10 / (characters + 1), compared
 * exactly. *text (NUL-terminated) is valid like earshot_result's pointers;
 * score_q10 and num_tokens may be NULL. */
earshot_status earshot_get_nbest(const earshot_recognizer* recognizer, uint32_t index, const char** text,
                                 int32_t* score_q10, uint32_t* num_tokens);

/* One word of the result: characters [first_char, first_char + num_chars) of
 * its text, when it was said (attention positions: start = frame of its first
 * character, end = one frame after its last), and its confidence (geometric
 * mean of its characters' probabilities). */
typedef struct earshot_word {
  uint32_t first_char, num_chars;
  uint32_t start_frame, end_frame; /* encoder frames from the start of the stream */
  uint32_t start_ms, end_ms;       /* the same in milliseconds */
  int32_t confidence_q15;          /* 0..32768 */
} earshot_word;

/* The index-th word of the current result (index < num_words). The words are
 * split once per result change (by the first earshot_get_result or
 * earshot_get_word after it, in the recognizer's arena), so walking all of them
 * costs one pass over the text. */
earshot_status earshot_get_word(const earshot_recognizer* recognizer, uint32_t index, earshot_word* word);

/* exp(score_q10 / 1024 / count) in Q15, in integers (the same on every target):
 * the geometric-mean probability of `count` tokens whose log-probabilities sum
 * to score_q10. For n-best entries: count = num_tokens + 1 (the end token). */
int32_t earshot_confidence_q15(int32_t score_q10, uint32_t count);

/* Starts a new stream with the same model, config and arena. */
earshot_status earshot_reset(earshot_recognizer* recognizer);

/* ---------------------------------------------------------------- grammars
 * New commands without retraining: a phrase list (one phrase a line), a JSGF
 * subset (text starting with "#JSGF") or a word list (any sequence of the
 * words) compiled into a character automaton over the model's alphabet
 * (lib/decoder/GRAMMAR.md). The greedy decoder takes, at each step, the best
 * character the automaton allows; the beam search expands only allowed ones. */

typedef enum earshot_grammar_kind {
  EARSHOT_GRAMMAR_AUTO = 0,    /* JSGF if the text starts with #JSGF, else a phrase list */
  EARSHOT_GRAMMAR_PHRASES = 1,
  EARSHOT_GRAMMAR_JSGF = 2,
  EARSHOT_GRAMMAR_WORDS = 3
} earshot_grammar_kind;

typedef struct earshot_grammar earshot_grammar;

/* Compiles `text` (`length` bytes, need not be NUL-terminated) in caller memory
 * `mem` (any alignment is fine; 8-byte aligned is best). Too little memory:
 * EARSHOT_ERR_MEMORY_TOO_SMALL and *needed is a size to try next; on success
 * *needed is the compact size the grammar occupies at the start of `mem`. A
 * syntax error or a character outside the model's alphabet: EARSHOT_ERR_BAD_GRAMMAR
 * with line and column in earshot_last_error(). The text may be freed after;
 * `mem` must outlive every recognizer using the grammar. */
earshot_status earshot_grammar_compile(const earshot_model* model, const char* text, size_t length,
                                       earshot_grammar_kind kind, void* mem, size_t mem_bytes, size_t* needed,
                                       const earshot_grammar** grammar);

/* Constrains a recognizer to `grammar` (NULL: free text) from this utterance
 * on. Only between utterances: after create or earshot_reset, before speech. */
earshot_status earshot_set_grammar(earshot_recognizer* recognizer, const earshot_grammar* grammar);

#ifdef __cplusplus
}
#endif
#endif
