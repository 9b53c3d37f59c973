#include "app/flash.h"

#include "image/flash_layout.h"
#include "image/crc32.h"

namespace earshot::fw {

bool flash_find_model(const BoardFlash& f, uint32_t image_crc, FlashModel& out, Error& err) {
  namespace fl = earshot::flash;
  out = {};
  fl::Header h;
  if (fl::read_header(f.file, f.file_bytes, f.header_offset, static_cast<fl::Board>(f.board), h, err) != EARSHOT_OK)
    return false;
  // The firmware part must be this firmware: same size, same bytes. On virt
  // the flash holds a copy (-kernel loads the ELF), on raspi2b the part is
  // the running image itself. Its .data is included: main takes the CRC
  // before it writes anything (crt0, the start-up code and the constructors
  // write no .data).
  if (h.firmware_bytes != f.image_bytes) {
    err.set(EARSHOT_ERR_BAD_MODEL,
            "flash: the firmware part is %u bytes, the running firmware %lu: the flash file was made from another "
            "earshot-fw.bin",
            static_cast<unsigned>(h.firmware_bytes), static_cast<unsigned long>(f.image_bytes));
    return false;
  }
  const uint8_t* fw = f.file + h.firmware_offset;
  if (fw == f.image) {
    // raspi2b: the running image is the file's firmware part.
    if (image_crc != h.firmware_crc32) {
      err.set(EARSHOT_ERR_BAD_MODEL, "flash: firmware part CRC-32 mismatch (header %08x, computed %08x): the file is corrupt",
              static_cast<unsigned>(h.firmware_crc32), static_cast<unsigned>(image_crc));
      return false;
    }
  } else {
    // virt: a copy in flash, which must be intact and be this firmware.
    const uint32_t stored = crc32(fw, h.firmware_bytes);
    if (stored != h.firmware_crc32) {
      err.set(EARSHOT_ERR_BAD_MODEL, "flash: firmware part CRC-32 mismatch (header %08x, computed %08x): the file is corrupt",
              static_cast<unsigned>(h.firmware_crc32), static_cast<unsigned>(stored));
      return false;
    }
    if (image_crc != h.firmware_crc32) {
      err.set(EARSHOT_ERR_BAD_MODEL,
              "flash: the running firmware's CRC-32 is %08x, the flash file's firmware part says %08x: the flash file "
              "was made from another earshot-fw.bin",
              static_cast<unsigned>(image_crc), static_cast<unsigned>(h.firmware_crc32));
      return false;
    }
  }
  out.image = f.file + h.model_offset;
  out.bytes = h.model_bytes;
  out.address = reinterpret_cast<uintptr_t>(out.image);
  // The header keeps a copy of the model's trailing CRC: a cheap check that
  // header and model belong together (the full CRC is the model reader's).
  uint32_t tail = 0;
  for (int i = 3; i >= 0; --i) tail = (tail << 8) | out.image[out.bytes - 4 + i];
  if (tail != h.model_crc32) {
    err.set(EARSHOT_ERR_BAD_MODEL, "flash: the model's stored CRC-32 is %08x, the header says %08x",
            static_cast<unsigned>(tail), static_cast<unsigned>(h.model_crc32));
    return false;
  }
  err.clear();
  return true;
}

}  // namespace earshot::fw
