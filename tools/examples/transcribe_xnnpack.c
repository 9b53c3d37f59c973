/* The same recognizer with its matrix products on XNNPACK (the optional backend, earshot::xnnpack):
 * transcribe_xnnpack MODEL.esm AUDIO.wav prints the text and how many products XNNPACK ran. */
#include <earshot/earshot.h>
#include <earshot/earshot_audio.h>
#include <earshot/earshot_xnnpack.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(call) do { if ((call) != EARSHOT_OK) { fprintf(stderr, "%s: %s\n", #call, earshot_last_error()); \
                         exit(1); } } while (0)

int main(int argc, char** argv) {
  if (argc != 3) return fprintf(stderr, "usage: %s MODEL.esm AUDIO.wav\n", argv[0]), 2;
  FILE* f = fopen(argv[1], "rb");
  if (!f || fseek(f, 0, SEEK_END)) return 1;
  size_t image_bytes = (size_t)ftell(f), arena_bytes, got;
  void* image = aligned_alloc(64, (image_bytes + 63) / 64 * 64);
  if (fseek(f, 0, SEEK_SET) || fread(image, 1, image_bytes, f) != image_bytes) return 1;
  static unsigned char model_mem[EARSHOT_MODEL_HANDLE_BYTES];
  earshot_model* model;
  earshot_recognizer* rec;
  earshot_xnnpack* xnn;
  earshot_audio* audio;
  earshot_result r;
  CHECK(earshot_model_open(image, image_bytes, model_mem, sizeof model_mem, &model));
  CHECK(earshot_arena_size(model, NULL, &arena_bytes));
  CHECK(earshot_recognizer_create(model, NULL, malloc(arena_bytes), arena_bytes, &rec));
  CHECK(earshot_xnnpack_attach(&xnn));  /* this thread's matrix products, from here on */
  if (earshot_audio_open(argv[2], 16000, &audio)) return fprintf(stderr, "%s\n", earshot_audio_last_error()), 1;
  int16_t block[4000];
  while (earshot_audio_read(audio, block, 4000, &got) == EARSHOT_OK && got) CHECK(earshot_push(rec, block, got));
  CHECK(earshot_finish(rec));
  CHECK(earshot_get_result(rec, &r));
  printf("%s\n%llu XNNPACK products\n", r.text, (unsigned long long)earshot_xnnpack_calls(xnn));
  earshot_xnnpack_detach(xnn);
  earshot_audio_close(audio);
  return fclose(f), 0;
}
