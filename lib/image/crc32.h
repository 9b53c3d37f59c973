// CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320) — the checksum zlib and PNG use,
// so `python3 -c "import zlib; ..."` can check an image too.
#pragma once
#include <cstddef>
#include <cstdint>

namespace earshot {

uint32_t crc32(const uint8_t* data, size_t size, uint32_t crc = 0);

}  // namespace earshot
