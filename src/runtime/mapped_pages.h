// Dropping a model's file-mapped weight pages from the process's resident
// set once a session is compiled.
//
// Weights are tensors pointing into read-only private maps of the model
// file (onnx/mapped_file.h). Compiling a session packs most of them
// (GEMM and conv weights) into the kernels' own layouts, which reads every
// page, so the originals would stay resident beside the packed copies
// (bert_base, 2 threads: peak RSS 1109 MiB before this, 688 after, with
// the load-time release of onnx/mapped_file.h). The
// pages are clean and never written, so MADV_DONTNEED on the map only
// unmaps them: a kernel that does read an original later (an embedding
// table, a bias) faults it back in from the page cache, unchanged.
// compile_plan releases each node's constant inputs right after the node's
// prepare(), so the peak holds the packed copies and one weight, not every
// weight twice; Session::create releases the rest (pages passes touched).
#pragma once

#include "fastserve/graph.h"

namespace fastserve {

// madvise(MADV_DONTNEED) over each of model.mapped_ranges (whole pages
// inside each range). Returns the bytes advised; errors are ignored (it is
// advice: the only cost of a failure is the memory it would have saved).
size_t release_mapped_pages(const Model& model);
// The same for the whole pages of [data, data + bytes) when that lies in one
// of model.mapped_ranges (a weight some kernel has just packed); nothing
// otherwise (heap memory must never be advised away).
size_t release_mapped_bytes(const Model& model, const void* data, size_t bytes);

}  // namespace fastserve
