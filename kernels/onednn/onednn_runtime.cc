// The shared oneDNN plumbing (see onednn_runtime.h): engine, streams, OpenMP
// team size, ISA cap, scratch, descriptors and shape keys.
#include "kernels/onednn/onednn_runtime.h"

#include <omp.h>

#include <array>
#include <cstdlib>
#include <memory>
#include <mutex>

namespace fastserve::onednn {
namespace {

using dnnl::cpu_isa;

bool has_all_bits(cpu_isa have, cpu_isa want) {
  return (static_cast<unsigned>(have) & static_cast<unsigned>(want)) == static_cast<unsigned>(want);
}

// oneDNN's ISA values are nested bit sets (avx2 ⊂ avx512_core ⊂ vnni), so a
// level is reached when all of its bits are present.
Isa to_isa(cpu_isa isa) {
  if (has_all_bits(isa, cpu_isa::avx512_core_vnni)) return Isa::kAvx512Vnni;
  if (has_all_bits(isa, cpu_isa::avx512_core)) return Isa::kAvx512;
  if (has_all_bits(isa, cpu_isa::avx2)) return Isa::kAvx2;
  return Isa::kScalar;
}

cpu_isa to_onednn_isa(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return cpu_isa::sse41;  // oneDNN's floor; our descriptors need avx2 anyway
    case Isa::kAvx2:
      return cpu_isa::avx2;
    case Isa::kAvx512:
      return cpu_isa::avx512_core;
    case Isa::kAvx512Vnni:
      return cpu_isa::avx512_core_vnni;
  }
  return cpu_isa::sse41;
}

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

struct ScratchBuffer {
  std::unique_ptr<void, FreeDeleter> data;
  size_t bytes = 0;
};

}  // namespace

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& thread_stream() {
  thread_local dnnl::stream stream(cpu_engine());
  return stream;
}

OmpTeamSize::OmpTeamSize(int threads) : saved_(omp_get_max_threads()) { omp_set_num_threads(threads); }
OmpTeamSize::~OmpTeamSize() { omp_set_num_threads(saved_); }
int omp_team_size() { return omp_get_max_threads(); }

Status apply_isa_cap(const NodeView& node, Isa isa) {
  static std::once_flag once;
  std::call_once(once, [isa] {
    // Only a cap below the CPU's level is worth setting; the call fails (and
    // is ignored) when oneDNN has already fixed its level.
    if (isa < detected_isa()) (void)dnnl::set_max_cpu_isa(to_onednn_isa(isa));
  });
  const Isa effective = effective_isa();
  if (effective > isa) {
    return node.error(
        StatusCode::kUnsupported,
        std::string("oneDNN dispatches at ") + isa_name(effective) +
            " in this process and its ISA cap is set once, before its first use; cannot cap it at " +
            isa_name(isa));
  }
  return ok_status();
}

Isa effective_isa() { return to_isa(dnnl::get_effective_cpu_isa()); }

void* onednn_scratch(ScratchSlot slot, size_t bytes) {
  thread_local std::array<ScratchBuffer, static_cast<size_t>(ScratchSlot::kCount)> buffers;
  ScratchBuffer& b = buffers[static_cast<size_t>(slot)];
  if (b.bytes < bytes) {
    const size_t rounded = (bytes + 63) / 64 * 64;
    b.data.reset(std::aligned_alloc(64, rounded));
    FS_CHECK_MSG(b.data != nullptr, "oneDNN scratch: out of memory");
    b.bytes = rounded;
  }
  return b.data.get();
}

dnnl::primitive_attr onednn_attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

void Primitive::execute(std::unordered_map<int, dnnl::memory> args) const {
  if (scratchpad.get_size() > 0) {
    args.emplace(DNNL_ARG_SCRATCHPAD,
                 wrap(scratchpad, onednn_scratch(ScratchSlot::kScratchpad, scratchpad.get_size())));
  }
  prim.execute(thread_stream(), args);
}

dnnl::memory::desc plain_f32_desc(const std::vector<int64_t>& dims) {
  dnnl::memory::dims d(dims.begin(), dims.end());
  if (d.empty()) d.push_back(1);
  dnnl::memory::dims strides(d.size(), 1);
  for (size_t i = d.size() - 1; i-- > 0;) strides[i] = strides[i + 1] * d[i + 1];
  return dnnl::memory::desc(d, dnnl::memory::data_type::f32, strides);
}

dnnl::memory wrap(const dnnl::memory::desc& md, const void* data) {
  // oneDNN takes a non-const handle for every argument; inputs are only read.
  return dnnl::memory(md, cpu_engine(), const_cast<void*>(data));
}

Primitive make_reorder(const dnnl::memory::desc& from, const dnnl::memory::desc& to) {
  const dnnl::reorder::primitive_desc pd(cpu_engine(), from, cpu_engine(), to, onednn_attr());
  return Primitive{dnnl::reorder(pd), pd.scratchpad_desc()};
}

ActivationLayout input_layout(const dnnl::memory::desc& user, const dnnl::memory::desc& inner) {
  ActivationLayout l{user, inner, std::nullopt};
  if (inner != user) l.reorder = make_reorder(user, inner);
  return l;
}

ActivationLayout output_layout(const dnnl::memory::desc& inner, const dnnl::memory::desc& user) {
  ActivationLayout l{user, inner, std::nullopt};
  if (inner != user) l.reorder = make_reorder(inner, user);
  return l;
}

dnnl::memory bring_in(const ActivationLayout& layout, const void* data, ScratchSlot slot) {
  const dnnl::memory user = wrap(layout.user, data);
  if (!layout.reorder) return user;
  dnnl::memory inner = wrap(layout.inner, onednn_scratch(slot, layout.inner.get_size()));
  layout.reorder->execute({{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, inner}});
  return inner;
}

dnnl::memory output_target(const ActivationLayout& layout, void* data, ScratchSlot slot) {
  if (!layout.reorder) return wrap(layout.user, data);
  return wrap(layout.inner, onednn_scratch(slot, layout.inner.get_size()));
}

void send_out(const ActivationLayout& layout, const dnnl::memory& target, void* data) {
  if (layout.reorder)
    layout.reorder->execute({{DNNL_ARG_FROM, target}, {DNNL_ARG_TO, wrap(layout.user, data)}});
}

dnnl::memory::desc blocked_f32_desc(const std::vector<int64_t>& dims) {
  using tag = dnnl::memory::format_tag;
  const bool wide = effective_isa() >= Isa::kAvx512;
  tag t = tag::undef;
  switch (dims.size()) {
    case 3:
      t = wide ? tag::nCw16c : tag::nCw8c;
      break;
    case 4:
      t = wide ? tag::nChw16c : tag::nChw8c;
      break;
    case 5:
      t = wide ? tag::nCdhw16c : tag::nCdhw8c;
      break;
    default:
      return plain_f32_desc(dims);
  }
  return dnnl::memory::desc(dnnl::memory::dims(dims.begin(), dims.end()), dnnl::memory::data_type::f32, t);
}

std::vector<int64_t> shape_key(const NodeView& node) {
  constexpr int64_t kOmitted = -2;  // kUnknownDim (-1) marks an unknown rank or dim
  std::vector<int64_t> key;
  for (size_t i = 0; i < node.num_inputs(); ++i) {
    if (!node.has_input(i) || !node.input(i).shape_known) {
      key.push_back(node.has_input(i) ? kUnknownDim : kOmitted);
      continue;
    }
    const Shape& s = node.input(i).shape;
    key.push_back(static_cast<int64_t>(s.rank()));
    for (size_t d = 0; d < s.rank(); ++d) key.push_back(s[d]);
  }
  return key;
}

bool shape_key_is_static(const std::vector<int64_t>& key) {
  for (int64_t v : key) {
    if (v == kUnknownDim) return false;
  }
  return true;
}

}  // namespace fastserve::onednn
