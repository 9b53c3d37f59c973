#include "app/host_file.h"

#include "arch/armv7a/semihosting.h"

namespace earshot::fw {

bool read_host_file(const char* path, uint8_t* buf, size_t cap, const char* cap_option, size_t* len, Error& err) {
  *len = 0;
  const int fd = semihosting::open_read(path);
  if (fd < 0) {
    err.set(EARSHOT_ERR_IO,
            semihosting::host_absent() ? "cannot open: no semihosting host (files need QEMU or a debugger)"
                                       : "cannot open (no such file on the semihosting host?)");
    return false;
  }
  const long n = semihosting::file_length(fd);
  if (n < 0) {
    semihosting::close(fd);
    err.set(EARSHOT_ERR_IO, "cannot get the file's length (SYS_FLEN)");
    return false;
  }
  if (static_cast<unsigned long>(n) > cap) {
    semihosting::close(fd);
    err.set(EARSHOT_ERR_IO, "file is %ld bytes, the firmware's buffer holds %lu (build option %s)", n,
            static_cast<unsigned long>(cap), cap_option);
    return false;
  }
  const long got = semihosting::read(fd, buf, static_cast<size_t>(n));
  semihosting::close(fd);
  if (got != n) {
    err.set(EARSHOT_ERR_IO, "read %ld of %ld bytes (SYS_READ)", got, n);
    return false;
  }
  *len = static_cast<size_t>(n);
  return true;
}

}  // namespace earshot::fw
