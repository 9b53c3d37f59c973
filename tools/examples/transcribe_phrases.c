/* Streams an audio file through earshot's C API with a phrase list and prints each
 * utterance: transcribe_phrases MODEL.esm PHRASES.txt AUDIO.wav (README "Use it in your program"). */
#include <earshot/earshot.h>
#include <earshot/earshot_audio.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(call) do { if ((call) != EARSHOT_OK) { fprintf(stderr, "%s: %s\n", #call, earshot_last_error()); \
                         exit(1); } } while (0)

static void* slurp(const char* path, size_t* n) { /* a whole file, 64-byte aligned (the model is read in place) */
  FILE* f = fopen(path, "rb");
  if (!f || fseek(f, 0, SEEK_END) || (long)(*n = (size_t)ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) exit(1);
  void* p = aligned_alloc(64, (*n + 63) / 64 * 64);
  if (!p || fread(p, 1, *n, f) != *n) exit(1);
  return fclose(f), p;
}

static void report(earshot_recognizer* rec, int finished) { /* prints an utterance once it is final */
  earshot_result r;
  earshot_word w = {0};
  CHECK(earshot_get_result(rec, &r));
  if (!r.is_final) return;
  if (r.num_words) CHECK(earshot_get_word(rec, 0, &w));
  if (r.num_tokens || r.no_match)
    printf("%.2f s: %s (%.2f)\n", w.start_ms / 1000.0, r.no_match ? "<no match>" : r.text, r.match_q15 / 32768.0);
  if (!finished) CHECK(earshot_next_utterance(rec));
}

int main(int argc, char** argv) {
  if (argc != 4) return fprintf(stderr, "usage: %s MODEL.esm PHRASES.txt AUDIO.wav\n", argv[0]), 2;
  size_t image_bytes, text_bytes, arena_bytes, grammar_bytes = 1 << 16, got;
  void* image = slurp(argv[1], &image_bytes);
  char* phrases = slurp(argv[2], &text_bytes);
  static unsigned char model_mem[EARSHOT_MODEL_HANDLE_BYTES];
  earshot_model* model;
  earshot_recognizer* rec;
  const earshot_grammar* grammar;
  earshot_audio* audio;
  earshot_recognizer_config config = {.beam = 16};  /* a phrase list's beam width, as the CLI's */
  CHECK(earshot_model_open(image, image_bytes, model_mem, sizeof model_mem, &model));
  CHECK(earshot_arena_size(model, &config, &arena_bytes));
  CHECK(earshot_recognizer_create(model, &config, malloc(arena_bytes), arena_bytes, &rec));
  void* grammar_mem = malloc(grammar_bytes);
  CHECK(earshot_grammar_compile(model, phrases, text_bytes, EARSHOT_GRAMMAR_PHRASES, grammar_mem, grammar_bytes,
                                &grammar_bytes, &grammar));
  CHECK(earshot_set_grammar(rec, grammar));
  if (earshot_audio_open(argv[3], 16000, &audio)) return fprintf(stderr, "%s\n", earshot_audio_last_error()), 1;
  int16_t block[4000];
  while (earshot_audio_read(audio, block, 4000, &got) == EARSHOT_OK && got)
    for (size_t off = 0, k; off < got; off += k) {
      CHECK(earshot_push_some(rec, block + off, got - off, &k));
      report(rec, 0);
    }
  CHECK(earshot_finish(rec));
  report(rec, 1);
  earshot_audio_close(audio);
  return 0;
}
