// Finds the model in the board's flash (flash_layout.h) and checks what can
// be checked before the model reader runs: the header, that the flash file
// was made for this very firmware build, and the firmware's CRC.
#pragma once
#include <cstddef>
#include <cstdint>

#include "boards/board.h"
#include "common/error.h"

namespace earshot::fw {

struct FlashModel {
  const uint8_t* image = nullptr;  // the .esm, in place (4 KiB aligned)
  size_t bytes = 0;
  uintptr_t address = 0;           // for the report
};

// `image_crc`: CRC-32 of the running image (flash.image, flash.image_bytes)
// taken at the start of main, before anything wrote its .data.
// False and err set on any defect. The model's own content (format, CRC,
// schema) is earshot_model_open()'s job.
bool flash_find_model(const BoardFlash& flash, uint32_t image_crc, FlashModel& out, Error& err);

}  // namespace earshot::fw
