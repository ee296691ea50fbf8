// A read-only memory map of a whole file.
//
// Model files and external-data files are mapped rather than read so that
// weights stored in them become Tensors pointing into the page cache: no copy,
// no up-front read, and pages the session never touches are never loaded.
// The mapping is PROT_READ: a tensor wrapping it must never be written (a
// write faults), so passes that change weights make new tensors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "fastserve/status.h"

namespace fastserve {

class MappedFile {
 public:
  // Maps `path` read-only. Errors name the path: missing file (kNotFound),
  // a directory or a failing open/mmap (kInvalidArgument), an empty file
  // (kInvalidModel: neither a model nor external data can be empty).
  static Result<std::shared_ptr<const MappedFile>> open(const std::string& path);

  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  // Drops the map's resident pages (MADV_DONTNEED): after parsing, the
  // pages behind tensors that were copied (misaligned raw_data) are not read
  // again; those of wrapped tensors fault back in from the page cache, with
  // the same bytes (the map is private and never written). Advisory.
  void release_pages() const;
  // The same for the whole pages inside [data, data + size), which must lie
  // in a MappedFile's map.
  static void release_range(const void* data, size_t size);
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

  // An owner handle whose get() is data(): it keeps the mapping alive and
  // lets a holder (Model::mappings) see which bytes it covers.
  static std::shared_ptr<const void> data_owner(const std::shared_ptr<const MappedFile>& file) {
    return std::shared_ptr<const void>(file, file->data());
  }

 private:
  MappedFile(std::string path, const uint8_t* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}

  std::string path_;
  const uint8_t* data_;
  size_t size_;
};

}  // namespace fastserve
