#include "core/credentials.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "platform/sysfs.hpp"

namespace bmcquiet {
namespace {

SecretResult read_secret_file(const std::string& path, bool check_mode) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return {std::nullopt,
            fmt::format("cannot open secret file {}: {}", path, std::strerror(errno))};
  }
  struct stat st {};
  ::fstat(fd, &st);
  ::close(fd);
  if (!S_ISREG(st.st_mode)) return {std::nullopt, fmt::format("{} is not a regular file", path)};
  if (check_mode && (st.st_mode & 077) != 0) {
    return {std::nullopt,
            fmt::format("refusing secret file {}: mode {:04o} lets group or others read or "
                        "write it; run chmod 600 {} (or use systemd LoadCredential=)",
                        path, st.st_mode & 07777, path)};
  }
  auto text = read_small_file(path, 64 * 1024);
  if (!text) return {std::nullopt, fmt::format("cannot read secret file {}", path)};
  if (!text->empty() && text->back() == '\n') text->pop_back();
  if (!text->empty() && text->back() == '\r') text->pop_back();
  if (text->empty()) return {std::nullopt, fmt::format("secret file {} is empty", path)};
  return {Secret(std::move(*text)), {}};
}

}  // namespace

SecretResult load_secret(const std::string& credential, const std::string& file) {
  const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
  if (dir && !credential.empty()) {
    const std::string path = fmt::format("{}/{}", dir, credential);
    if (::access(path.c_str(), F_OK) == 0) return read_secret_file(path, false);
  }
  if (file.empty()) {
    return {std::nullopt,
            fmt::format("no secret: credential '{}' is not in $CREDENTIALS_DIRECTORY ({}) and no "
                        "file is configured; add LoadCredential={}:/path to the unit or set a "
                        "password_file",
                        credential, dir ? dir : "unset", credential)};
  }
  return read_secret_file(file, true);
}

}  // namespace bmcquiet
