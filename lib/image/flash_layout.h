// The flash layouts: where `earshot-pack flash` puts the firmware and the model
// image in a board's flash file, and the header that says so. Shared by the
// writer (tools/pack/main.cpp) and the reader (firmware/app/flash.cpp) and the boards, so the
// two cannot drift apart. firmware/README.md "Flash layouts" has the pictures.
//
// All offsets are from the start of the flash file; all fields little-endian.
//
//   virt     pflash bank 1 (0x0400_0000, exactly 64 MiB): header at 0,
//            firmware at 0x1000, model at the next 4 KiB boundary, zero
//            padding to 64 MiB.
//   raspi2b  kernel7.img (loaded at 0x8000): firmware at 0, header at the
//            next 4 KiB boundary after it (link.ld's __flash_header), model
//            4 KiB after the header; the file ends with the model.
//   mps2-an500, mps3-an547 (Cortex-M7, Cortex-M55): as virt (header at 0,
//            firmware copy at 0x1000, model at the next 4 KiB boundary), but
//            the file ends with the model; QEMU places it with
//            -device loader,file=FLASH,addr=<kMps2An500FlashAddress |
//            kMps3An547FlashAddress>,force-raw=on, the ELF runs from the
//            boot memory (-kernel). boards/<board>/README.md.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "common/error.h"
#include "image/crc32.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the flash header is read and written in place");

namespace earshot::flash {

inline constexpr uint8_t kMagic[8] = {'E', 'S', 'F', 'L', 'A', 'S', 'H', 0x1A};
inline constexpr uint32_t kVersion = 1;
inline constexpr uint32_t kHeaderBytes = 64;
// Model (and, on virt, firmware) alignment: a flash sector, and far more than
// the 16 bytes the model reader needs.
inline constexpr uint32_t kAlign = 4096;

enum class Board : uint32_t { kVirt = 1, kRaspi2b = 2, kMps2An500 = 3, kMps3An547 = 4 };

inline const char* board_name(uint32_t b) {
  switch (static_cast<Board>(b)) {
    case Board::kVirt: return "virt";
    case Board::kRaspi2b: return "raspi2b";
    case Board::kMps2An500: return "mps2-an500";
    case Board::kMps3An547: return "mps3-an547";
  }
  return "unknown";
}

// virt: the second pflash bank (-drive if=pflash,unit=1,...).
inline constexpr uint32_t kVirtFlashAddress = 0x04000000;
inline constexpr uint32_t kVirtFlashBytes = 64u << 20;  // QEMU wants the file exactly this size
inline constexpr uint32_t kVirtFirmwareOffset = 0x1000;
// raspi2b: the boot loader puts kernel7.img at 0x8000. boards/raspi2b/link.ld
// keeps .bss, the stacks and the MMU table at kRaspi2bRamAddress and up, so
// the file may fill everything below it.
inline constexpr uint32_t kRaspi2bLoadAddress = 0x8000;
inline constexpr uint32_t kRaspi2bRamAddress = 0x02000000;
inline constexpr uint32_t kRaspi2bMaxFileBytes = kRaspi2bRamAddress - kRaspi2bLoadAddress;

// mps2-an500: SSRAM1 (0x0000_0000, 4 MiB) stands for the flash; the firmware
// runs from its first MiB, the flash file fills the other 3.
inline constexpr uint32_t kMps2An500FlashAddress = 0x00100000;
inline constexpr uint32_t kMps2An500FlashBytes = 3u << 20;
// mps3-an547: the QSPI flash (8 MiB, read-only; QEMU 7.2 models it as ROM),
// Secure alias 0x3800_0000 of 0x2800_0000. The firmware runs from the ITCM.
inline constexpr uint32_t kMps3An547FlashAddress = 0x38000000;
inline constexpr uint32_t kMps3An547FlashBytes = 8u << 20;
// Both: firmware copy at kMFirmwareOffset, like virt.
inline constexpr uint32_t kMFirmwareOffset = 0x1000;

struct Header {
  uint8_t magic[8];         // kMagic
  uint32_t version;         // kVersion; a reader rejects any other
  uint32_t header_bytes;    // kHeaderBytes
  uint32_t board;           // Board: the layout (and firmware) this file is for
  uint32_t file_bytes;      // bytes of the whole file (virt: 64 MiB)
  uint32_t firmware_offset; // earshot-fw.bin, unchanged
  uint32_t firmware_bytes;
  uint32_t firmware_crc32;  // CRC-32 (image/crc32.h) of the firmware bytes
  uint32_t model_offset;    // the .esm image, unchanged; multiple of kAlign
  uint32_t model_bytes;
  uint32_t model_crc32;     // copy of the .esm's own trailing CRC-32
  uint32_t reserved[3];     // zero
  uint32_t header_crc32;    // CRC-32 of the 60 bytes before it
};
static_assert(sizeof(Header) == kHeaderBytes);
static_assert(offsetof(Header, header_crc32) == kHeaderBytes - 4);

inline constexpr uint32_t align_up(uint32_t v, uint32_t a) { return (v + a - 1) / a * a; }

// Where everything goes for a firmware of fw_bytes and a model of model_bytes.
struct Plan {
  uint32_t header_offset, firmware_offset, model_offset, file_bytes;
};

inline earshot_status plan(Board board, uint64_t fw_bytes, uint64_t model_bytes, Plan& p, Error& err) {
  p = {};
  if (fw_bytes == 0) return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "the firmware is empty");
  if (model_bytes == 0) return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "the model is empty");
  uint64_t end = 0, limit = 0;
  switch (board) {
    case Board::kVirt:
      limit = kVirtFlashBytes;
      if (fw_bytes > limit) break;
      p.header_offset = 0;
      p.firmware_offset = kVirtFirmwareOffset;
      p.model_offset = align_up(kVirtFirmwareOffset + static_cast<uint32_t>(fw_bytes), kAlign);
      end = p.model_offset + model_bytes;
      p.file_bytes = kVirtFlashBytes;
      break;
    case Board::kRaspi2b:
      limit = kRaspi2bMaxFileBytes;
      if (fw_bytes > limit) break;
      p.firmware_offset = 0;
      p.header_offset = align_up(static_cast<uint32_t>(fw_bytes), kAlign);
      p.model_offset = p.header_offset + kAlign;
      end = p.model_offset + model_bytes;
      p.file_bytes = static_cast<uint32_t>(end);
      break;
    case Board::kMps2An500:
    case Board::kMps3An547:
      limit = board == Board::kMps2An500 ? kMps2An500FlashBytes : kMps3An547FlashBytes;
      if (fw_bytes > limit) break;
      p.header_offset = 0;
      p.firmware_offset = kMFirmwareOffset;
      p.model_offset = align_up(kMFirmwareOffset + static_cast<uint32_t>(fw_bytes), kAlign);
      end = p.model_offset + model_bytes;
      p.file_bytes = static_cast<uint32_t>(end);
      break;
    default:
      return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "unknown board %u", static_cast<unsigned>(board));
  }
  if (fw_bytes > limit || end > limit)
    return err.set(EARSHOT_ERR_INVALID_ARGUMENT,
                   "firmware (%lu bytes) and model (%lu bytes) do not fit the %s layout: %lu bytes needed, %lu available",
                   static_cast<unsigned long>(fw_bytes), static_cast<unsigned long>(model_bytes),
                   board_name(static_cast<uint32_t>(board)),
                   static_cast<unsigned long>(fw_bytes > limit ? fw_bytes : end), static_cast<unsigned long>(limit));
  return EARSHOT_OK;
}

inline uint32_t header_crc(const Header& h) {
  return crc32(reinterpret_cast<const uint8_t*>(&h), offsetof(Header, header_crc32));
}

// (Messages use %lu, not %zu or %llu, which newlib-nano's printf does not
// know; the firmware has its own (app/format.cpp), but a host need not.)

// Reads and checks the header at `header_offset` of a flash file of which
// `avail` bytes are readable at `file`: magic, version, its own CRC, the board,
// and that every part lies inside the file, aligned, without overlap. Checks
// no CRC of the parts (the caller does, where it can read them).
inline earshot_status read_header(const uint8_t* file, size_t avail, size_t header_offset, Board expect, Header& h,
                                  Error& err) {
  if (header_offset > avail || avail - header_offset < kHeaderBytes)
    return err.set(EARSHOT_ERR_BAD_MODEL, "flash: no room for a header at offset 0x%lx", static_cast<unsigned long>(header_offset));
  std::memcpy(&h, file + header_offset, sizeof h);
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0)
    return err.set(EARSHOT_ERR_BAD_MODEL,
                   "flash: no earshot flash header at offset 0x%lx (found %02x %02x %02x %02x ...): "
                   "write the flash file with `earshot-pack flash`",
                   static_cast<unsigned long>(header_offset), h.magic[0], h.magic[1], h.magic[2], h.magic[3]);
  if (h.version != kVersion)
    return err.set(EARSHOT_ERR_BAD_MODEL, "flash: header version %u, this reader knows %u", static_cast<unsigned>(h.version),
                   static_cast<unsigned>(kVersion));
  if (h.header_bytes != kHeaderBytes)
    return err.set(EARSHOT_ERR_BAD_MODEL, "flash: header_bytes %u, expected %u", static_cast<unsigned>(h.header_bytes),
                   static_cast<unsigned>(kHeaderBytes));
  const uint32_t crc = header_crc(h);
  if (crc != h.header_crc32)
    return err.set(EARSHOT_ERR_BAD_MODEL, "flash: header CRC-32 mismatch (stored %08x, computed %08x)",
                   static_cast<unsigned>(h.header_crc32), static_cast<unsigned>(crc));
  if (h.board != static_cast<uint32_t>(expect))
    return err.set(EARSHOT_ERR_BAD_MODEL, "flash: the file is laid out for board %s, this firmware is for %s",
                   board_name(h.board), board_name(static_cast<uint32_t>(expect)));
  Plan p{};
  if (plan(expect, h.firmware_bytes, h.model_bytes, p, err) != EARSHOT_OK) {
    err.status = EARSHOT_ERR_BAD_MODEL;
    return err.status;
  }
  if (p.header_offset != header_offset || p.firmware_offset != h.firmware_offset || p.model_offset != h.model_offset ||
      p.file_bytes != h.file_bytes)
    return err.set(EARSHOT_ERR_BAD_MODEL,
                   "flash: parts not where the %s layout puts them (header 0x%lx, firmware 0x%x, model 0x%x, file %u bytes; "
                   "expected 0x%x, 0x%x, 0x%x, %u)",
                   board_name(h.board), static_cast<unsigned long>(header_offset), static_cast<unsigned>(h.firmware_offset),
                   static_cast<unsigned>(h.model_offset), static_cast<unsigned>(h.file_bytes),
                   static_cast<unsigned>(p.header_offset), static_cast<unsigned>(p.firmware_offset),
                   static_cast<unsigned>(p.model_offset), static_cast<unsigned>(p.file_bytes));
  if (h.file_bytes > avail)
    return err.set(EARSHOT_ERR_BAD_MODEL, "flash: the header says %u bytes, only %lu are readable (truncated?)",
                   static_cast<unsigned>(h.file_bytes), static_cast<unsigned long>(avail));
  for (uint32_t r : h.reserved)
    if (r) return err.set(EARSHOT_ERR_BAD_MODEL, "flash: reserved header fields are not zero");
  err.clear();
  return EARSHOT_OK;
}

}  // namespace earshot::flash
