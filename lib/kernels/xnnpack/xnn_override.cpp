#include "kernels/xnnpack/xnn_override.h"

#include "kernels/xnnpack/xnn_backend.h"

namespace earshot {

namespace xnn = kernels::xnn;

XnnOverride::~XnnOverride() {
  if (installed_) kernels::set_thread_matrix_override(nullptr);
  for (auto& [k, f] : fc_) xnn::fc_destroy(static_cast<xnn::Fc*>(f));
  for (auto& [k, l] : lstm_) xnn::lstm_destroy(static_cast<xnn::Lstm*>(l));
}

bool XnnOverride::install(std::string& why) {
  Error err;
  if (!xnn::init(err)) return why = err.message, false;
  hook_.self = this;
  hook_.gemm = &XnnOverride::gemm;
  hook_.lstm = &XnnOverride::lstm;
  kernels::set_thread_matrix_override(&hook_);
  installed_ = true;
  return true;
}

void* XnnOverride::scratch(size_t bytes) {
  if (scratch_.size() < bytes + 64) scratch_.resize(bytes + 64);
  return scratch_.data();
}

bool XnnOverride::gemm(void* self, const kernels::S8Matrix& m, const kernels::S8GemmArgs& a) {
  auto* o = static_cast<XnnOverride*>(self);
  Error err;
  auto& slot = o->fc_[{&m, static_cast<int>(a.out_type)}];
  if (!slot) {
    xnn::Fc* f = nullptr;
    if (xnn::fc_create(m, a.out_type, &f, err) != EARSHOT_OK) {  // e.g. int32 output: not offered
      o->fc_.erase({&m, static_cast<int>(a.out_type)});
      ++o->fallbacks_;
      return false;
    }
    slot = f;
  }
  if (xnn::fc_run(static_cast<xnn::Fc*>(slot), a, o->scratch(xnn::fc_scratch_size(m, a.batch)), err) != EARSHOT_OK) {
    ++o->fallbacks_;
    return false;
  }
  ++o->calls_;
  return true;
}

bool XnnOverride::lstm(void* self, const kernels::LstmLayer& l, const kernels::LstmStepArgs& a) {
  auto* o = static_cast<XnnOverride*>(self);
  Error err;
  auto& slot = o->lstm_[&l];
  if (!slot) {
    xnn::Lstm* x = nullptr;
    if (xnn::lstm_create(l, &x, err) != EARSHOT_OK) {
      o->lstm_.erase(&l);
      ++o->fallbacks_;
      return false;
    }
    slot = x;
  }
  if (xnn::lstm_run(static_cast<xnn::Lstm*>(slot), a, o->scratch(xnn::lstm_scratch_size(l, a.batch)), err) !=
      EARSHOT_OK) {
    ++o->fallbacks_;
    return false;
  }
  ++o->calls_;
  return true;
}

}  // namespace earshot
