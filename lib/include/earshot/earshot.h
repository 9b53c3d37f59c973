/* earshot — offline speech recognizer: public C API.
 *
 * Ownership: the library never allocates after a handle is created; memory the
 * caller passes in stays the caller's and must outlive the handle using it.
 * Every call returns an earshot_status; earshot_status_string() names it.
 */
#ifndef EARSHOT_EARSHOT_H
#define EARSHOT_EARSHOT_H

#ifdef __cplusplus
extern "C" {
#endif

#define EARSHOT_VERSION_MAJOR 0
#define EARSHOT_VERSION_MINOR 1
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

#ifdef __cplusplus
}
#endif
#endif
