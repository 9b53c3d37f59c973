#include "model/model.h"

#include "kernels/isa.h"

namespace earshot {

earshot_status Model::open(std::span<const uint8_t> image, Error& err) {
  open_ = false;
  if (image_.open(image, err) != EARSHOT_OK) return err.status;
  if (model_schema_open(image_, hp_, t_, err) != EARSHOT_OK) return err.status;
  // The kernels pick their ISA lazily on first use (isa.cpp, not synchronised).
  // Resolving it here, on the thread that opens the model, means recognizers
  // created later on other threads only ever read the selection.
  (void)kernels::isa_active();
  open_ = true;
  err.clear();
  return EARSHOT_OK;
}

}  // namespace earshot
