// Packing, validation and dispatch of the s8 GEMM family.
#include <cstring>

#include "kernels/matrix_override.h"
#include "kernels/s8-gemm/ukernels.h"

namespace earshot::kernels {
namespace {

constexpr char kTag[8] = {'E', 'S', 'K', 'S', '8', 'M', 'X', '1'};
constexpr size_t kHeader = 64;

struct Header {  // little-endian, at offset 0 of the blob
  char tag[8];
  int32_t rows, rows_padded, nseg, cols[2], k4[2];
  int32_t reserved[7];
};
static_assert(sizeof(Header) == kHeader);

size_t body_size(int32_t rows_padded, int32_t k4_0, int32_t k4_1) {
  return kHeader + 16 * static_cast<size_t>(rows_padded) +
         4 * static_cast<size_t>(rows_padded) * (static_cast<size_t>(k4_0) + k4_1);
}

bool dims_ok(int32_t rows, int32_t nseg, const int32_t* cols) {
  if (rows < 1 || rows > kS8MaxRows || nseg < 1 || nseg > 2 || cols[0] < 1) return false;
  if (nseg == 2 && cols[1] < 1) return false;
  if (nseg == 1 && cols[1] != 0) return false;
  return static_cast<int64_t>(cols[0]) + cols[1] <= kS8MaxCols;
}

}  // namespace

size_t s8_matrix_packed_size(int32_t rows, int32_t cols0, int32_t cols1) {
  if (rows < 1 || cols0 < 1 || cols1 < 0) return 0;
  return body_size(round_up(rows, 16), (cols0 + 3) / 4, (cols1 + 3) / 4);
}

earshot_status s8_matrix_pack(const S8MatrixSource& src, void* dst, size_t dst_size, Error& err) {
  const int32_t cols1 = src.nseg == 2 ? src.cols[1] : 0;
  const int32_t cols[2] = {src.cols[0], cols1};
  if (!dims_ok(src.rows, src.nseg, cols))
    return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "s8 matrix: bad shape rows=%d nseg=%d cols=%d+%d (rows 1..%d, cols >= 1, sum <= %d)",
                   src.rows, src.nseg, src.cols[0], cols1, kS8MaxRows, kS8MaxCols);
  if (!src.w[0] || (src.nseg == 2 && !src.w[1]) || !src.mult || !src.shift || !dst)
    return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "s8 matrix: null weights, mult, shift or destination");
  const size_t need = s8_matrix_packed_size(src.rows, cols[0], cols[1]);
  if (dst_size < need)
    return err.set(EARSHOT_ERR_MEMORY_TOO_SMALL, "s8 matrix: destination holds %zu bytes, needs %zu", dst_size, need);
  for (int32_t o = 0; o < src.rows; ++o) {
    if (src.mult[o] < 0)
      return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "s8 matrix: mult[%d] = %d is negative", o, src.mult[o]);
    if (src.shift[o] < kShiftMin || src.shift[o] > kShiftMax)
      return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "s8 matrix: shift[%d] = %d outside [%d, %d]", o, src.shift[o],
                     kShiftMin, kShiftMax);
    const int32_t b = src.bias ? src.bias[o] : 0;
    if (b < -kS8MaxBias || b > kS8MaxBias)
      return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "s8 matrix: |bias[%d]| = %d exceeds 2^30", o, b);
  }
  for (int s = 0; s < src.nseg; ++s)
    for (size_t i = 0; i < static_cast<size_t>(src.rows) * cols[s]; ++i)
      if (src.w[s][i] == -128)
        return err.set(EARSHOT_ERR_INVALID_ARGUMENT,
                       "s8 matrix: weight -128 at segment %d row %zu col %zu (symmetric weights lie in [-127, 127])", s,
                       i / cols[s], i % cols[s]);

  auto* out = static_cast<uint8_t*>(dst);
  std::memset(out, 0, need);
  Header h{};
  std::memcpy(h.tag, kTag, sizeof kTag);
  h.rows = src.rows;
  h.rows_padded = round_up(src.rows, 16);
  h.nseg = src.nseg;
  for (int s = 0; s < 2; ++s) {
    h.cols[s] = cols[s];
    h.k4[s] = (cols[s] + 3) / 4;
  }
  std::memcpy(out, &h, sizeof h);
  const int32_t rp = h.rows_padded;
  auto put32 = [&](size_t section, int32_t o, int32_t v) { std::memcpy(out + kHeader + (section * rp + o) * 4, &v, 4); };
  for (int32_t o = 0; o < rp; ++o) {
    int64_t wsum = 0;
    for (int s = 0; s < src.nseg && o < src.rows; ++s)
      for (int32_t k = 0; k < cols[s]; ++k) wsum += src.w[s][static_cast<size_t>(o) * cols[s] + k];
    const int32_t b = o < src.rows && src.bias ? src.bias[o] : 0;
    put32(0, o, b);
    put32(1, o, static_cast<int32_t>(b - 128 * wsum));
    put32(2, o, o < src.rows ? src.mult[o] : 0);
    put32(3, o, o < src.rows ? src.shift[o] : 1);
  }
  int8_t* w = reinterpret_cast<int8_t*>(out + kHeader + 16 * static_cast<size_t>(rp));
  for (int s = 0; s < src.nseg; ++s) {
    for (int32_t o = 0; o < src.rows; ++o)
      for (int32_t k = 0; k < cols[s]; ++k) w[o16k4_offset(h.k4[s], o, k)] = src.w[s][static_cast<size_t>(o) * cols[s] + k];
    w += 4 * static_cast<size_t>(rp) * h.k4[s];
  }
  return EARSHOT_OK;
}

#if defined(__linux__) || defined(__APPLE__) || defined(_WIN32)
namespace {

// True when every weight lies in [-127, 127], padding rows and columns are zero
// and bias_u8 = bias - 128 * (row sum) for every row: the checks of the
// row-by-row pass in s8_matrix_view, in one sweep over the blob.
bool weights_ok(const S8Matrix& v) {
  const int32_t blocks = v.rows_padded / 16;
  for (int32_t b = 0; b < blocks; ++b) {
    int32_t acc[16] = {};  // row sums of rows b*16 .. b*16+15
    int8_t lo = 0;         // the smallest weight seen (-128 is the defect)
    for (int s = 0; s < v.nseg; ++s) {
      const int8_t* q = v.w[s] + static_cast<size_t>(b) * v.k4[s] * 64;
      for (int32_t j = 0; j < v.k4[s]; ++j, q += 64) {
        for (int x = 0; x < 64; ++x) lo = q[x] < lo ? q[x] : lo;
        for (int r = 0; r < 16; ++r) acc[r] += q[4 * r] + q[4 * r + 1] + q[4 * r + 2] + q[4 * r + 3];
      }
      // Padding columns (the last group's columns >= cols) must be zero.
      if (v.cols[s] % 4) {
        const int8_t* last = v.w[s] + (static_cast<size_t>(b) * v.k4[s] + v.k4[s] - 1) * 64;
        for (int x = 0; x < 64; ++x)
          if (x % 4 >= v.cols[s] % 4 && last[x] != 0) return false;
      }
      // Padding rows (>= rows) must be zero.
      for (int32_t r = 0; r < 16; ++r)
        if (b * 16 + r >= v.rows)
          for (int32_t j = 0; j < v.k4[s]; ++j)
            for (int i = 0; i < 4; ++i)
              if (v.w[s][(static_cast<size_t>(b) * v.k4[s] + j) * 64 + r * 4 + i] != 0) return false;
    }
    if (lo == -128) return false;
    for (int32_t r = 0; r < 16; ++r) {
      const int32_t o = b * 16 + r;
      const int64_t wsum = acc[r];
      if (static_cast<int64_t>(v.bias[o]) - 128 * wsum != v.bias_u8[o]) return false;
    }
  }
  return true;
}

}  // namespace
#endif

earshot_status s8_matrix_view(const void* blob, size_t size, S8Matrix* m, Error& err) {
  if (!blob || size < kHeader) return err.set(EARSHOT_ERR_BAD_MODEL, "s8 matrix: blob of %zu bytes is shorter than its header", size);
  if (reinterpret_cast<uintptr_t>(blob) % 4)
    return err.set(EARSHOT_ERR_BAD_MODEL, "s8 matrix: blob is not 4-byte aligned");
  Header h;
  std::memcpy(&h, blob, sizeof h);
  if (std::memcmp(h.tag, kTag, sizeof kTag)) return err.set(EARSHOT_ERR_BAD_MODEL, "s8 matrix: bad tag (expected ESKS8MX1)");
  if (!dims_ok(h.rows, h.nseg, h.cols) || h.rows_padded != round_up(h.rows, 16) || h.k4[0] != (h.cols[0] + 3) / 4 ||
      h.k4[1] != (h.cols[1] + 3) / 4)
    return err.set(EARSHOT_ERR_BAD_MODEL, "s8 matrix: inconsistent shape rows=%d/%d nseg=%d cols=%d+%d k4=%d+%d", h.rows,
                   h.rows_padded, h.nseg, h.cols[0], h.cols[1], h.k4[0], h.k4[1]);
  const size_t need = body_size(h.rows_padded, h.k4[0], h.k4[1]);
  if (size < need) return err.set(EARSHOT_ERR_BAD_MODEL, "s8 matrix: blob holds %zu bytes, shape needs %zu", size, need);
  const auto* base = static_cast<const uint8_t*>(blob);
  const auto* p32 = reinterpret_cast<const int32_t*>(base + kHeader);
  const int32_t rp = h.rows_padded;
  S8Matrix v;
  v.rows = h.rows;
  v.rows_padded = rp;
  v.nseg = h.nseg;
  v.bias = p32;
  v.bias_u8 = p32 + rp;
  v.mult = p32 + 2 * rp;
  v.shift = p32 + 3 * rp;
  const int8_t* w = reinterpret_cast<const int8_t*>(base + kHeader + 16 * static_cast<size_t>(rp));
  for (int s = 0; s < 2; ++s) {
    v.cols[s] = h.cols[s];
    v.k4[s] = h.k4[s];
    v.w[s] = s < h.nseg ? w : nullptr;
    w += 4 * static_cast<size_t>(rp) * h.k4[s];
  }
  for (int32_t o = 0; o < rp; ++o) {
    if (v.mult[o] < 0 || v.shift[o] < kShiftMin || v.shift[o] > kShiftMax)
      return err.set(EARSHOT_ERR_BAD_MODEL, "s8 matrix: row %d has mult %d shift %d outside the contract", o, v.mult[o],
                     v.shift[o]);
    if (v.bias[o] < -kS8MaxBias || v.bias[o] > kS8MaxBias)
      return err.set(EARSHOT_ERR_BAD_MODEL, "s8 matrix: row %d bias %d exceeds 2^30", o, v.bias[o]);
  }
  // bias_u8 must be consistent with the weights, or the u8 kernels would differ
  // from the signed ones: recompute (cost: one pass over the weights, at load).
  // Hosted targets first check in the weights' own order (blocks of 16 rows x
  // 4 columns, 64 bytes); only when that pass finds a defect does the
  // row-by-row pass below run, to name the first one as it always has.
#if defined(__linux__) || defined(__APPLE__) || defined(_WIN32)  // boards: the row-by-row pass alone (code size)
  if (weights_ok(v)) {
    *m = v;
    return EARSHOT_OK;
  }
#endif
  for (int32_t o = 0; o < rp; ++o) {
    int64_t wsum = 0;
    for (int s = 0; s < v.nseg; ++s)
      for (int32_t j = 0; j < v.k4[s]; ++j) {
        const int8_t* q = v.w[s] + (static_cast<size_t>(o / 16) * v.k4[s] + j) * 64 + (o % 16) * 4;
        for (int i = 0; i < 4; ++i) {
          if (q[i] == -128) return err.set(EARSHOT_ERR_BAD_MODEL, "s8 matrix: weight -128 in row %d", o);
          if (o >= v.rows && q[i] != 0) return err.set(EARSHOT_ERR_BAD_MODEL, "s8 matrix: padding row %d not zero", o);
          if (j * 4 + i >= v.cols[s] && q[i] != 0)
            return err.set(EARSHOT_ERR_BAD_MODEL, "s8 matrix: padding column of row %d not zero", o);
          wsum += q[i];
        }
      }
    if (static_cast<int64_t>(v.bias[o]) - 128 * wsum != v.bias_u8[o])
      return err.set(EARSHOT_ERR_BAD_MODEL, "s8 matrix: row %d bias_u8 does not match its weights", o);
  }
  *m = v;
  return EARSHOT_OK;
}

void s8_matrix_unpack(const S8Matrix& m, int seg, int8_t* w) {
  for (int32_t o = 0; o < m.rows; ++o)
    for (int32_t k = 0; k < m.cols[seg]; ++k)
      w[static_cast<size_t>(o) * m.cols[seg] + k] = m.w[seg][o16k4_offset(m.k4[seg], o, k)];
}

size_t s8_gemm_scratch_size(int32_t cols0, int32_t cols1, int32_t batch) {
  const int32_t b = batch < 1 ? 1 : batch > kS8MaxBatchPerCall ? kS8MaxBatchPerCall : batch;
  const size_t per_row = static_cast<size_t>(round_up((cols0 + 3) / 4 * 8, 64)) + round_up((cols1 + 3) / 4 * 8, 64);
  return 64 + b * per_row;
}

S8GemmFn s8_gemm_kernel(Isa isa) {
  switch (isa) {
    case Isa::scalar: return s8_gemm__scalar;
#if defined(EARSHOT_KERNELS_X86)
    case Isa::avx2: return s8_gemm__avx2;
    case Isa::avx512vnni: return s8_gemm__avx512vnni;
#endif
#if defined(EARSHOT_KERNELS_NEON)
    case Isa::neon: return s8_gemm__neon;
#endif
#if defined(EARSHOT_KERNELS_NEONDOT)
    case Isa::neondot: return s8_gemm__neondot;
#endif
#if defined(EARSHOT_KERNELS_DSP)
    case Isa::dsp: return s8_gemm__dsp;
#endif
#if defined(EARSHOT_KERNELS_MVE)
    case Isa::mve: return s8_gemm__mve;
#endif
    default: return nullptr;
  }
}

void s8_gemm_with(Isa isa, const S8Matrix& m, const S8GemmArgs& a, void* scratch) {
  if (const MatrixOverride* o = thread_matrix_override(); o && o->gemm && o->gemm(o->self, m, a)) return;
  const S8GemmFn fn = s8_gemm_kernel(isa);
  const size_t elt = a.out_type == OutType::s32 ? 4 : a.out_type == OutType::s16 ? 2 : 1;
  S8GemmArgs c = a;
  for (int32_t b0 = 0; b0 < a.batch; b0 += kS8MaxBatchPerCall) {
    c.batch = a.batch - b0 < kS8MaxBatchPerCall ? a.batch - b0 : kS8MaxBatchPerCall;
    for (int s = 0; s < 2; ++s) c.x[s] = a.x[s] ? a.x[s] + b0 * a.x_stride[s] : nullptr;
    c.y = static_cast<uint8_t*>(a.y) + b0 * a.y_stride * elt;
    fn(m, c, align64(scratch));
  }
}

void s8_gemm(const S8Matrix& m, const S8GemmArgs& a, void* scratch) { s8_gemm_with(isa_active(), m, a, scratch); }

}  // namespace earshot::kernels
