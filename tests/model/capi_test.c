/* The C API end to end, from C, using only earshot.h:
 *   capi_test MODEL.esm SPEECH.pcm
 * opens the image, sizes and creates a recognizer, streams the audio in two
 * different chunkings (same text, same token frames), resets, and checks the
 * error paths (too-small memory, corrupt image, misuse). Exit 0 on success. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "earshot/earshot.h"

static int failures = 0;
#define CHECK(cond)                                                    \
  do {                                                                 \
    if (!(cond)) {                                                     \
      fprintf(stderr, "capi_test:%d: CHECK(%s) failed\n", __LINE__, #cond); \
      ++failures;                                                      \
    }                                                                  \
  } while (0)

static void* read_all(const char* path, size_t* size, size_t align) {
  FILE* f = fopen(path, "rb");
  long n;
  void* buf;
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  /* aligned_alloc wants a multiple of the alignment. */
  buf = aligned_alloc(align, ((size_t)n + align) / align * align);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *size = (size_t)n;
  return buf;
}

typedef struct transcript {
  char text[8192];
  uint32_t frames[8192];
  uint32_t n;
} transcript;

/* Streams pcm in chunks of `chunk` samples; returns the final result copied out. */
static int run_ex(earshot_recognizer* rec, const int16_t* pcm, size_t n, size_t chunk, transcript* out, int greedy) {
  size_t at = 0;
  earshot_result r;
  uint32_t partial_max = 0;
  while (at < n) {
    size_t k = n - at < chunk ? n - at : chunk;
    if (earshot_push(rec, pcm + at, k) != EARSHOT_OK) return 0;
    at += k;
    CHECK(earshot_get_result(rec, &r) == EARSHOT_OK);
    if (greedy) CHECK(r.num_tokens >= partial_max); /* greedy partial text only grows (a beam's best may change) */
    partial_max = r.num_tokens;
  }
  if (earshot_finish(rec) != EARSHOT_OK) return 0;
  CHECK(earshot_get_result(rec, &r) == EARSHOT_OK);
  CHECK(r.is_final);
  CHECK(strlen(r.text) == r.num_tokens);
  CHECK(r.num_tokens < sizeof out->text);
  memcpy(out->text, r.text, r.num_tokens + 1);
  memcpy(out->frames, r.token_frames, r.num_tokens * sizeof(uint32_t));
  out->n = r.num_tokens;
  return 1;
}

static int run(earshot_recognizer* rec, const int16_t* pcm, size_t n, size_t chunk, transcript* out) {
  return run_ex(rec, pcm, n, chunk, out, 1);
}

int main(int argc, char** argv) {
  size_t image_size = 0, pcm_bytes = 0, arena_bytes = 0;
  void* image;
  int16_t* pcm;
  static unsigned char model_mem[EARSHOT_MODEL_HANDLE_BYTES]; /* static handle memory, as on a board */
  earshot_model* model = NULL;
  earshot_model_info info;
  earshot_recognizer_config cfg;
  earshot_recognizer* rec = NULL;
  unsigned char* arena;
  static transcript a, b, c;

  if (argc != 3) {
    fprintf(stderr, "usage: capi_test MODEL.esm SPEECH.pcm\n");
    return 2;
  }
  image = read_all(argv[1], &image_size, 64);
  pcm = (int16_t*)read_all(argv[2], &pcm_bytes, 16);
  if (!image || !pcm) {
    fprintf(stderr, "capi_test: cannot read inputs\n");
    return 2;
  }

  /* Model. */
  CHECK(earshot_model_handle_size() <= EARSHOT_MODEL_HANDLE_BYTES);
  CHECK(earshot_model_open(image, image_size, model_mem, 16, &model) == EARSHOT_ERR_MEMORY_TOO_SMALL);
  CHECK(model == NULL && strlen(earshot_last_error()) > 0);
  CHECK(earshot_model_open(image, image_size, model_mem, sizeof model_mem, &model) == EARSHOT_OK);
  if (!model) {
    fprintf(stderr, "capi_test: %s\n", earshot_last_error());
    return 1;
  }
  CHECK(earshot_model_get_info(model, &info) == EARSHOT_OK);
  CHECK(info.sample_rate_hz == 16000 && info.encoder_frame_samples == 480 && info.vocab_size == 29);
  CHECK(strlen(info.name) > 0);

  /* Recognizer: exact arena; one byte less fails cleanly. */
  memset(&cfg, 0, sizeof cfg);
  CHECK(earshot_arena_size(model, &cfg, &arena_bytes) == EARSHOT_OK);
  arena = (unsigned char*)malloc(arena_bytes);
  CHECK(earshot_recognizer_create(model, &cfg, arena, arena_bytes - 1, &rec) == EARSHOT_ERR_MEMORY_TOO_SMALL);
  CHECK(rec == NULL);
  CHECK(strstr(earshot_last_error(), "arena") != NULL);
  CHECK(earshot_recognizer_create(model, NULL, arena, arena_bytes, &rec) == EARSHOT_OK);
  if (!rec) return 1;

  /* Two chunkings, then a reset and a third: the same transcript. */
  CHECK(run(rec, pcm, pcm_bytes / 2, 160, &a));
  CHECK(earshot_push(rec, pcm, 10) == EARSHOT_ERR_INVALID_ARGUMENT); /* after finish */
  CHECK(strstr(earshot_last_error(), "reset") != NULL);
  CHECK(earshot_reset(rec) == EARSHOT_OK);
  CHECK(run(rec, pcm, pcm_bytes / 2, 4093, &b));
  CHECK(earshot_reset(rec) == EARSHOT_OK);
  CHECK(run(rec, pcm, pcm_bytes / 2, 1, &c));
  CHECK(a.n == b.n && strcmp(a.text, b.text) == 0 && memcmp(a.frames, b.frames, a.n * sizeof(uint32_t)) == 0);
  CHECK(a.n == c.n && strcmp(a.text, c.text) == 0 && memcmp(a.frames, c.frames, a.n * sizeof(uint32_t)) == 0);

  /* Greedy: one n-best entry, the text. */
  {
    const char* t = NULL;
    int32_t score = 1;
    uint32_t nt = 0;
    earshot_result r;
    CHECK(earshot_get_result(rec, &r) == EARSHOT_OK);
    CHECK(r.num_nbest == 1 && r.score_q10 <= 0);
    CHECK(earshot_get_nbest(rec, 0, &t, &score, &nt) == EARSHOT_OK);
    CHECK(t && strcmp(t, c.text) == 0 && score == r.score_q10 && nt == c.n);
    CHECK(earshot_get_nbest(rec, 1, &t, NULL, NULL) == EARSHOT_ERR_INVALID_ARGUMENT);
  }

  /* Beam search (width 4) in its own, larger arena: n-best best first, the
   * same for two chunkings; width 9 is refused. */
  {
    earshot_recognizer_config bcfg;
    earshot_recognizer* brec = NULL;
    unsigned char* barena;
    size_t bbytes = 0;
    static transcript x, y;
    const char* none = NULL;
    earshot_result r;
    uint32_t i;
    memset(&bcfg, 0, sizeof bcfg);
    bcfg.beam = 33;
    CHECK(earshot_arena_size(model, &bcfg, &bbytes) == EARSHOT_ERR_INVALID_ARGUMENT);
    bcfg.beam = 4;
    CHECK(earshot_arena_size(model, &bcfg, &bbytes) == EARSHOT_OK);
    CHECK(bbytes > arena_bytes);
    barena = (unsigned char*)malloc(bbytes);
    CHECK(earshot_recognizer_create(model, &bcfg, barena, bbytes, &brec) == EARSHOT_OK);
    if (!brec) return 1;
    CHECK(run_ex(brec, pcm, pcm_bytes / 2, 160, &x, 0));
    CHECK(earshot_get_result(brec, &r) == EARSHOT_OK);
    CHECK(r.num_nbest >= 1 && r.num_nbest <= 4);
    for (i = 0; i < r.num_nbest; ++i) {
      const char* t = NULL;
      int32_t score = 1;
      uint32_t nt = 0;
      CHECK(earshot_get_nbest(brec, i, &t, &score, &nt) == EARSHOT_OK);
      CHECK(t != NULL && strlen(t) == nt && score <= 0);
      if (i == 0) CHECK(strcmp(t, x.text) == 0 && score == r.score_q10);
    }
    CHECK(earshot_get_nbest(brec, r.num_nbest, &none, NULL, NULL) == EARSHOT_ERR_INVALID_ARGUMENT);
    CHECK(earshot_reset(brec) == EARSHOT_OK);
    CHECK(run_ex(brec, pcm, pcm_bytes / 2, 4093, &y, 0));
    CHECK(x.n == y.n && strcmp(x.text, y.text) == 0 && memcmp(x.frames, y.frames, x.n * sizeof(uint32_t)) == 0);
    printf("{\"beam\": 4, \"text\": \"%s\", \"nbest\": %u, \"arena_bytes\": %lu}\n", x.text, r.num_nbest,
           (unsigned long)bbytes);
    free(barena);
  }

  /* Continuous stream: the audio twice with 2 s of silence between, through
   * push_some / next_utterance in odd chunks, equals the same done at once;
   * words spell the text, with ordered times and confidences in range. */
  {
    static int16_t two[2 * 160000 + 32000];
    static char texts[2][4096];
    size_t n1 = pcm_bytes / 2, n = 0, at, k, rounds;
    uint32_t u[2] = {0, 0}, w, pass;
    memcpy(two, pcm, n1 * 2);
    memset(two + n1, 0, 32000 * 2);
    memcpy(two + n1 + 32000, pcm, n1 * 2);
    n = 2 * n1 + 32000;
    for (pass = 0; pass < 2; ++pass) {
      const size_t chunk = pass ? 777 : n;
      size_t used = 0;
      earshot_result r;
      CHECK(earshot_reset(rec) == EARSHOT_OK);
      texts[pass][0] = 0;
      for (at = 0, rounds = 0; at < n && rounds < 100000; ++rounds) {
        const size_t len = n - at < chunk ? n - at : chunk;
        CHECK(earshot_push_some(rec, two + at, len, &k) == EARSHOT_OK);
        CHECK(k <= len);
        at += k;
        CHECK(earshot_get_result(rec, &r) == EARSHOT_OK);
        if (!r.is_final) continue;
        ++u[pass];
        CHECK(r.confidence_q15 >= 0 && r.confidence_q15 <= 32768);
        CHECK(r.num_tokens == 0 || r.confidence_q15 == earshot_confidence_q15(r.score_q10, r.num_tokens + 1));
        for (w = 0; w < r.num_words; ++w) {
          earshot_word wd;
          CHECK(earshot_get_word(rec, w, &wd) == EARSHOT_OK);
          CHECK(wd.first_char + wd.num_chars <= r.num_tokens && wd.num_chars > 0);
          CHECK(wd.start_frame < wd.end_frame && wd.start_ms <= wd.end_ms);
          CHECK(wd.confidence_q15 >= 0 && wd.confidence_q15 <= 32768);
        }
        CHECK(earshot_get_word(rec, r.num_words, NULL) == EARSHOT_ERR_INVALID_ARGUMENT);
        if (used + r.num_tokens + 2 < sizeof texts[pass]) {
          memcpy(texts[pass] + used, r.text, r.num_tokens);
          used += r.num_tokens;
          texts[pass][used++] = '|';
          texts[pass][used] = 0;
        }
        CHECK(earshot_next_utterance(rec) == EARSHOT_OK);
      }
      CHECK(at == n);
      CHECK(earshot_finish(rec) == EARSHOT_OK);
      CHECK(earshot_next_utterance(rec) == EARSHOT_ERR_INVALID_ARGUMENT); /* after finish: reset */
    }
    CHECK(u[0] == u[1] && strcmp(texts[0], texts[1]) == 0);
    printf("{\"stream\": \"%s\", \"utterances\": %u}\n", texts[0], u[0]);
  }

  /* Argument errors. */
  CHECK(earshot_push(NULL, pcm, 1) == EARSHOT_ERR_INVALID_ARGUMENT);
  CHECK(earshot_get_result(rec, NULL) == EARSHOT_ERR_INVALID_ARGUMENT);
  CHECK(earshot_arena_size(NULL, NULL, &arena_bytes) == EARSHOT_ERR_INVALID_ARGUMENT);
  CHECK(strcmp(earshot_status_string(EARSHOT_ERR_BAD_MODEL), "bad model image") == 0);

  /* A corrupt image is rejected with its defect named. */
  ((unsigned char*)image)[image_size / 2] ^= 0x40;
  {
    earshot_model* bad = NULL;
    static unsigned char bad_mem[EARSHOT_MODEL_HANDLE_BYTES];
    CHECK(earshot_model_open(image, image_size, bad_mem, sizeof bad_mem, &bad) == EARSHOT_ERR_BAD_MODEL);
    CHECK(bad == NULL);
    CHECK(strstr(earshot_last_error(), "CRC") != NULL);
  }

  printf("{\"text\": \"%s\", \"tokens\": %u, \"arena_bytes\": %lu, \"model_handle_bytes\": %lu, \"failures\": %d}\n",
         a.text, a.n, (unsigned long)arena_bytes, (unsigned long)earshot_model_handle_size(), failures);
  free(arena);
  free(pcm);
  free(image);
  return failures ? 1 : 0;
}
