// What every oneDNN kernel shares: the engine, a stream per thread, the
// OpenMP team size per call, the process-wide ISA cap, per-thread scratch
// buffers, shape keys, and turning oneDNN's exceptions into Status.
//
// Threading. Debian's libdnnl is built with the OpenMP runtime
// (DNNL_CPU_RUNTIME OMP, linked to libgomp): a primitive runs on an OpenMP
// team started by the calling thread, sized by that thread's
// omp_get_max_threads(). OmpTeamSize sets it to the session's thread count
// (the ThreadPool's size, which counts the caller, as an OpenMP team does)
// around every primitive creation and execution and restores it after, so
// `--threads N` gives oneDNN exactly N threads. Our pool's workers sleep
// while a oneDNN primitive runs. libgomp's idle team members spin briefly
// (GOMP_SPINCOUNT) after each region before sleeping; OMP_WAIT_POLICY=passive
// stops that when oneDNN and our kernels alternate on a loaded machine.
//
// Memory. Primitives use a user-managed scratchpad (onednn_attr()), handed
// out per thread by onednn_scratch(), so concurrent Session::run calls on
// different threads never share oneDNN's library scratchpad.
#pragma once

#include <cstddef>
#include <cstdint>
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/cpu_features.h"
#include "fastserve/node_view.h"
#include "fastserve/status.h"
#include "fastserve/tensor.h"

namespace fastserve::onednn {

// The CPU engine, created on first use (thread-safe).
const dnnl::engine& cpu_engine();
// This thread's stream on cpu_engine(). CPU streams execute in order in the
// calling thread; kernels still wait() before returning.
dnnl::stream& thread_stream();

// Sets the calling thread's OpenMP team size for the scope (oneDNN reads it
// when it creates and when it executes a primitive), then restores it.
class OmpTeamSize {
 public:
  explicit OmpTeamSize(int threads);
  ~OmpTeamSize();
  OmpTeamSize(const OmpTeamSize&) = delete;
  OmpTeamSize& operator=(const OmpTeamSize&) = delete;

 private:
  int saved_;
};
// The calling thread's current OpenMP team size (for tests).
int omp_team_size();

// oneDNN's instruction-set cap is process-wide and can be set only before
// its first primitive. The first call caps it at `isa` when that is below
// what the CPU has (a --max-isa / FASTSERVE_MAX_ISA session); any call fails
// with kUnsupported, naming the node, when oneDNN already dispatches above
// `isa` (an earlier session fixed it higher).
Status apply_isa_cap(const NodeView& node, Isa isa);
// The level oneDNN dispatches at, in our terms (fixes its cap; for tests).
Isa effective_isa();

// A 64-byte aligned per-thread buffer of at least `bytes`, one per slot; it
// grows and is reused, so after warm-up runs do not allocate. Valid until the
// same thread asks for the same slot again.
enum class ScratchSlot : int { kSrc = 0, kWeights = 1, kDst = 2, kScratchpad = 3, kCount = 4 };
void* onednn_scratch(ScratchSlot slot, size_t bytes);

// Attributes every primitive is created with: user-managed scratchpad.
dnnl::primitive_attr onednn_attr();

// A primitive with the scratchpad its descriptor asked for.
struct Primitive {
  dnnl::primitive prim;
  dnnl::memory::desc scratchpad;
  // Runs on thread_stream(), adding the scratchpad from onednn_scratch(kScratchpad).
  void execute(std::unordered_map<int, dnnl::memory> args) const;
};

// Activations between oneDNN and our kernels are NCHW (plain row-major); a
// primitive may run faster in oneDNN's blocked layouts (nChw8c, ...), so a
// kernel converts on the way in and out. An ActivationLayout pairs our
// `user` layout with the primitive's `inner` one and holds the reorder
// between them (user -> inner for an input, inner -> user for an output)
// when they differ.
struct ActivationLayout {
  dnnl::memory::desc user, inner;
  std::optional<Primitive> reorder;
};
ActivationLayout input_layout(const dnnl::memory::desc& user, const dnnl::memory::desc& inner);
ActivationLayout output_layout(const dnnl::memory::desc& inner, const dnnl::memory::desc& user);
// The input `data` in the inner layout: `data` itself, or reordered into
// scratch `slot`.
dnnl::memory bring_in(const ActivationLayout& layout, const void* data, ScratchSlot slot);
// Where the primitive writes an output: `data` itself, or scratch `slot`
// that send_out() then reorders into `data`.
dnnl::memory output_target(const ActivationLayout& layout, void* data, ScratchSlot slot);
void send_out(const ActivationLayout& layout, const dnnl::memory& target, void* data);

// oneDNN's channel-blocked layout for an activation of `rank` 3 to 5
// (nCw / nChw / nCdhw with blocks of 16 channels at AVX-512, else 8); other
// ranks stay plain.
dnnl::memory::desc blocked_f32_desc(const std::vector<int64_t>& dims);

// Plain row-major f32 memory descriptor for `dims` (rank 1..12; rank 0 is {1}).
dnnl::memory::desc plain_f32_desc(const std::vector<int64_t>& dims);
// A memory object over `data` (not owned) with descriptor `md`.
dnnl::memory wrap(const dnnl::memory::desc& md, const void* data);
// A reorder primitive from `from` to `to` on the CPU engine.
Primitive make_reorder(const dnnl::memory::desc& from, const dnnl::memory::desc& to);

// The dims of every input, for caching primitives by shape: per input its
// rank then its dims, -2 for an omitted one; kUnknownDim for an unknown rank
// or dim, which makes the key not static.
std::vector<int64_t> shape_key(const NodeView& node);
bool shape_key_is_static(const std::vector<int64_t>& key);

// Runs `fn` (which may throw dnnl::error), turning an exception into a Status
// that names the node and what was being done.
template <typename Fn>
Status guarded(const NodeView& node, const char* what, Fn&& fn) {
  try {
    return fn();
  } catch (const dnnl::error& e) {
    return node.error(StatusCode::kInternal, std::string("oneDNN ") + what + ": " + e.what());
  } catch (const std::exception& e) {
    return node.error(StatusCode::kInternal, std::string("oneDNN ") + what + ": " + e.what());
  }
}

}  // namespace fastserve::onednn
