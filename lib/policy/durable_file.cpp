#include "policy/durable_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace bmcquiet::policy {
namespace {

std::string errno_text(std::string_view what, const std::string& path) {
  return fmt::format("cannot {} {}: {}", what, path, std::strerror(errno));
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    auto n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(std::size_t(n));
  }
  return true;
}

std::string parent_of(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

// Writes, fsyncs and closes; the caller fsyncs the directory.
std::string write_fd(int fd, const std::string& path, std::string_view content) {
  std::string error;
  if (!write_all(fd, content)) error = errno_text("write", path);
  if (error.empty() && ::fsync(fd) != 0) error = errno_text("fsync", path);
  ::close(fd);
  return error;
}

}  // namespace

std::string ensure_directory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return fmt::format(
        "cannot create the state directory {}: {}; set paths.state to a "
        "writable directory",
        dir, ec.message());
  return {};
}

std::string sync_directory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_text("open directory", dir);
  std::string error;
  if (::fsync(fd) != 0) error = errno_text("fsync directory", dir);
  ::close(fd);
  return error;
}

std::string write_file_durably(const std::string& path, std::string_view content) {
  const auto tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return errno_text("create", tmp);
  if (auto error = write_fd(fd, tmp, content); !error.empty()) return error;
  if (::rename(tmp.c_str(), path.c_str()) != 0) return errno_text("rename into place", path);
  return sync_directory(parent_of(path));
}

std::string append_durably(const std::string& path, std::string_view content) {
  struct stat st {};
  const bool existed = ::stat(path.c_str(), &st) == 0;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return errno_text("open for append", path);
  if (auto error = write_fd(fd, path, content); !error.empty()) return error;
  // A new file's directory entry is only durable once the directory is synced.
  return existed ? std::string() : sync_directory(parent_of(path));
}

}  // namespace bmcquiet::policy
