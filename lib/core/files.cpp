#include "core/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace bmcquiet {
namespace {

// Appends fd's content to out; false on a read error or past limit bytes.
bool read_all(int fd, std::string& out, std::size_t limit) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > limit) return false;
  }
}

const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  return "not a regular file";
}

class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() { ::close(fd_); }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

}  // namespace

std::optional<std::string> read_small_file(const std::string& path, std::size_t limit) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  FdCloser closer(fd);
  std::string out;
  if (!read_all(fd, out, limit) && out.size() <= limit) return std::nullopt;
  return out;
}

RegularFileText read_regular_file(const std::string& path, std::size_t limit) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return {std::nullopt, std::strerror(errno)};
  FdCloser closer(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return {std::nullopt, std::strerror(errno)};
  if (!S_ISREG(st.st_mode))
    return {std::nullopt, fmt::format("it is {}; point to a regular file", file_kind(st.st_mode)),
            true};
  const auto too_big = [&](std::uint64_t size) {
    return fmt::format(
        "it is {} bytes, over the limit of {} bytes ({} MiB); split it or remove "
        "what it does not need",
        size, limit, limit / (1024 * 1024));
  };
  if (static_cast<std::uint64_t>(st.st_size) > limit)
    return {std::nullopt, too_big(st.st_size), true};
  std::string out;
  out.reserve(static_cast<std::size_t>(st.st_size));
  if (!read_all(fd, out, limit)) {
    // Grew while we read it, past the limit: refused like one that was too big.
    if (out.size() > limit) return {std::nullopt, too_big(out.size()), true};
    return {std::nullopt, std::strerror(errno)};
  }
  return {std::move(out), {}};
}

}  // namespace bmcquiet
