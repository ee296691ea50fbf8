// mmap/munmap with errors that name the file (see mapped_file.h).
#include "onnx/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace fastserve {

namespace {
// Closes the descriptor on every path out of open(); the mapping outlives it.
struct FdCloser {
  int fd;
  ~FdCloser() { ::close(fd); }
};
}  // namespace

Result<std::shared_ptr<const MappedFile>> MappedFile::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) return not_found(path + ": no such file");
    return invalid_argument(path + ": cannot open: " + std::strerror(err));
  }
  FdCloser closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0) return invalid_argument(path + ": cannot stat: " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return invalid_argument(path + ": is a directory, not a file");
  if (!S_ISREG(st.st_mode)) return invalid_argument(path + ": is not a regular file");
  if (st.st_size == 0) return invalid_model(path + ": file is empty");
  const size_t size = static_cast<size_t>(st.st_size);
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) return invalid_argument(path + ": cannot map: " + std::strerror(errno));
  // Start reading ahead now: the parser walks the file front to back and the
  // kernels' prepare() touches the weights soon after. Advisory; errors ignored.
  (void)::madvise(p, size, MADV_WILLNEED);
  return std::shared_ptr<const MappedFile>(new MappedFile(path, static_cast<const uint8_t*>(p), size));
}

void MappedFile::release_pages() const {
  (void)::madvise(const_cast<uint8_t*>(data_), size_, MADV_DONTNEED);  // data_ is page-aligned (mmap)
}

void MappedFile::release_range(const void* data, size_t size) {
  static const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + page - 1) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + size) / page * page;
  if (end > begin) (void)::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

MappedFile::~MappedFile() { ::munmap(const_cast<uint8_t*>(data_), size_); }

}  // namespace fastserve
