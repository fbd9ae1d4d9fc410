#include "core/credentials.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "core/files.hpp"

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
  if (text->empty())
    return {std::nullopt, fmt::format("secret file {} is empty; write the password into it", path)};
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
            fmt::format("no secret: credential '{0}' is not in $CREDENTIALS_DIRECTORY ({1}) and "
                        "no file is configured; write it to /etc/credstore/{0} (the unit's "
                        "LoadCredential={0} loads it) or set a password_file",
                        credential, dir ? dir : "unset")};
  }
  return read_secret_file(file, true);
}

namespace {

// An encrypted credential is opaque here: systemd decrypts it at start-up.
std::string check_encrypted(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fmt::format("cannot stat {}", path);
  if (!S_ISREG(st.st_mode)) return fmt::format("{} is not a regular file", path);
  if (st.st_size == 0) return fmt::format("{} is empty; write it with systemd-creds encrypt", path);
  if ((st.st_mode & 077) != 0)
    return fmt::format("refusing {}: mode {:04o} lets group or others read it; run chmod 600 {}",
                       path, st.st_mode & 07777, path);
  return {};
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

}  // namespace

std::string check_secret(const std::string& credential, const std::string& file) {
  const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
  if (dir && !credential.empty()) {
    const auto path = fmt::format("{}/{}", dir, credential);
    if (exists(path)) return read_secret_file(path, false).error;
  }
  if (!credential.empty()) {
    for (const std::string store : kCredentialStores) {
      const auto plain = store + "/" + credential;
      if (exists(plain)) return read_secret_file(plain, true).error;
      const auto encrypted = store + ".encrypted/" + credential;
      if (exists(encrypted)) return check_encrypted(encrypted);
    }
  }
  if (!file.empty() && exists(file)) return read_secret_file(file, true).error;
  return fmt::format(
      "no password: neither /etc/credstore/{0} (nor /run/credstore, /usr/lib/credstore, "
      "/etc/credstore.encrypted){1} exists; write it with: sudo install -d -m 0700 "
      "/etc/credstore && systemd-ask-password -n 'BMC password:' | sudo install -m 0600 "
      "/dev/stdin /etc/credstore/{0}",
      credential, file.empty() ? "" : " nor " + file);
}

}  // namespace bmcquiet
