// PrimitiveCache: a node's oneDNN primitives, one per input-shape key.
//
// oneDNN primitives are built for fixed shapes. prepare() builds the entry for
// the shapes known at compile; a node whose shapes are symbolic (a batch dim)
// builds one per shape seen at run, under a mutex, and keeps at most
// kMaxEntries (the oldest goes first). Entries are shared_ptrs, so a run
// still using an evicted entry keeps it alive. Lookups are a short linear
// scan: a node sees a handful of shapes.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "fastserve/status.h"

namespace fastserve::onednn {

template <typename Entry>
class PrimitiveCache {
 public:
  static constexpr size_t kMaxEntries = 16;
  using Key = std::vector<int64_t>;

  // The entry for `key`, built by make() (returning Result<Entry>) when absent.
  template <typename Make>
  Result<std::shared_ptr<const Entry>> get(const Key& key, Make&& make) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [k, e] : entries_) {
      if (k == key) return e;
    }
    Result<Entry> built = make();
    if (!built.ok()) return built.status();
    if (entries_.size() >= kMaxEntries) entries_.erase(entries_.begin());
    entries_.emplace_back(key, std::make_shared<const Entry>(std::move(built).value()));
    return entries_.back().second;
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return entries_.size();
  }

 private:
  // Mutable: kernel state is shared read-only by runs, and filling the cache
  // does not change what the node computes.
  mutable std::mutex mu_;
  mutable std::vector<std::pair<Key, std::shared_ptr<const Entry>>> entries_;
};

}  // namespace fastserve::onednn
