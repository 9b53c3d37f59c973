// earshot_xnnpack.h over XnnOverride: the C API's view of the backend.
#include <new>
#include <string>

#include "api/internal.h"
#include "earshot/earshot_xnnpack.h"
#include "kernels/matrix_override.h"
#include "kernels/xnnpack/xnn_override.h"

struct earshot_xnnpack {
  earshot::XnnOverride backend;
};

extern "C" {

earshot_status earshot_xnnpack_attach(earshot_xnnpack** backend) {
  if (!backend) return earshot::record_error(EARSHOT_ERR_INVALID_ARGUMENT, "earshot_xnnpack_attach: backend is NULL");
  *backend = nullptr;
  if (earshot::kernels::thread_matrix_override())
    return earshot::record_error(EARSHOT_ERR_INVALID_ARGUMENT,
                                 "earshot_xnnpack_attach: this thread's matrix products are already routed elsewhere");
  auto* b = new (std::nothrow) earshot_xnnpack;
  if (!b) return earshot::record_error(EARSHOT_ERR_MEMORY_TOO_SMALL, "earshot_xnnpack_attach: out of memory");
  std::string why;
  if (!b->backend.install(why)) {
    delete b;
    return earshot::record_error(EARSHOT_ERR_INVALID_ARGUMENT, "XNNPACK: %s", why.c_str());
  }
  *backend = b;
  return EARSHOT_OK;
}

uint64_t earshot_xnnpack_calls(const earshot_xnnpack* backend) { return backend ? backend->backend.calls() : 0; }
uint64_t earshot_xnnpack_fallbacks(const earshot_xnnpack* backend) { return backend ? backend->backend.fallbacks() : 0; }

void earshot_xnnpack_detach(earshot_xnnpack* backend) { delete backend; }

}  // extern "C"
