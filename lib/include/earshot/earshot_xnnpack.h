/* earshot — the optional XNNPACK backend (libearshot-xnnpack.a; Linux targets
 * where libxnnpack-dev was found; find_package(earshot CONFIG COMPONENTS xnnpack)
 * gives earshot::xnnpack, which brings the static library with it: link it
 * instead of earshot::earshot, not beside it).
 *
 * While attached, the matrix products (LSTM layers, CTC head, decoder heads) of
 * every recognizer used on the calling thread run on XNNPACK's per-channel int8
 * operators; attention, log-softmax and the front-end stay earshot's. NOT
 * bit-exact with earshot's own kernels (XNNPACK requantizes in float): results
 * may differ slightly from every other target's. Allocates (operators are made
 * the first time a weight matrix is used). For comparison and for machines
 * where XNNPACK is the tuned library; earshot's kernels are faster here
 * (README "Benchmarks").
 */
#ifndef EARSHOT_EARSHOT_XNNPACK_H
#define EARSHOT_EARSHOT_XNNPACK_H

#include <stdint.h>

#include "earshot/earshot.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct earshot_xnnpack earshot_xnnpack;

/* Initializes XNNPACK and routes this thread's matrix products to it until
 * earshot_xnnpack_detach(). One attachment per thread at a time. */
earshot_status earshot_xnnpack_attach(earshot_xnnpack** backend);

/* Matrix products XNNPACK ran, and those it refused (run by earshot's kernels). */
uint64_t earshot_xnnpack_calls(const earshot_xnnpack* backend);
uint64_t earshot_xnnpack_fallbacks(const earshot_xnnpack* backend);

/* Routes the thread back to earshot's kernels and frees the operators (NULL is fine).
 * Call it on the thread that attached. */
void earshot_xnnpack_detach(earshot_xnnpack* backend);

#ifdef __cplusplus
}
#endif
#endif
