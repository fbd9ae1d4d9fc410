// Helpers shared by unit and integration tests.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bmcquiet::test {

// A fresh directory under $TMPDIR, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Writes rel (creating parent directories) and returns its full path.
  std::string write(const std::string& rel, const std::string& content) const;

 private:
  std::string path_;
};

std::string read_file(const std::string& path);
std::string fixture(const std::string& rel);  // tests/fixtures/<rel>
// Path of a built binary (build/daemon/bmcquietd etc.).
std::string built_binary(const std::string& rel);

// A datagram socket at a temp path that plays systemd's NOTIFY_SOCKET.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& dir);
  ~NotifySocket();
  const std::string& path() const { return path_; }
  // Waits for a message containing `needle`; returns the whole message.
  std::optional<std::string> wait_for(const std::string& needle, std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
  std::string path_;
};

// A child process with its own environment additions.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {});
  ~Process();  // SIGKILLs a child that is still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  pid_t pid() const { return pid_; }
  void signal(int signo) const;
  // Exit status (or 128+signal), nullopt if still running after timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  bool running();

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

struct HttpResponse {
  long status = 0;  // 0 when the request failed
  std::string body;
  std::string error;
};
HttpResponse http_get(const std::string& url,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5));

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
// Runs a shell command, optionally feeding stdin_data.
CommandResult run_command(const std::string& command, const std::string& stdin_data = "");
bool have_command(const std::string& name);

// A process's resident memory (VmRSS) in MiB and its open file descriptors.
double rss_mib(pid_t pid);
int open_fds(pid_t pid);

// A TCP port that was free a moment ago on 127.0.0.1.
int free_tcp_port();

// Value of the sample `name{labels}` (labels as printed, e.g. {cpu_class="isolated"}) in a scrape.
std::optional<double> sample_value(const std::string& scrape, const std::string& series);

}  // namespace bmcquiet::test
