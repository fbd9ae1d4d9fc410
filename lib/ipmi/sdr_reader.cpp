#include "ipmi/sdr_reader.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace bmcquiet::ipmi {
namespace {

constexpr int kMaxReserves = 3;
constexpr std::uint8_t kMinChunk = 4;
constexpr std::size_t kSlack = 16;  // records beyond the announced count before giving up

bool too_big(std::uint8_t cc) {
  // 0xCA "cannot return requested bytes", 0xFF unspecified (what many BMCs
  // answer instead), 0xC7/0xC8 request or answer length: all mean "ask for less".
  return cc == 0xCA || cc == 0xFF || cc == 0xC7 || cc == 0xC8;
}

using RepoDone = Callback<std::shared_ptr<const SdrRepository>>;

}  // namespace

struct SdrReader::State : std::enable_shared_from_this<SdrReader::State> {
  std::shared_ptr<Client> client;
  std::shared_ptr<const SdrRepository> cache;
  SdrReaderStats stats;
};

namespace {

// One walk of the repository, first record to last.
class Walk : public std::enable_shared_from_this<Walk> {
 public:
  Walk(std::shared_ptr<SdrReader::State> state, sdr::RepositoryInfo info, RepoDone done)
      : state_(std::move(state)), done_(std::move(done)), repo_(std::make_shared<SdrRepository>()) {
    repo_->info = info;
  }

  void start() {
    ++state_->stats.walks;
    if (!repo_->info.records) return finish();  // empty: Get SDR 0000h would answer 0xCB
    if (!repo_->info.supports_reserve) return next();
    reserve([self = shared_from_this()] { self->next(); });
  }

 private:
  void send(Request q, Callback<Response> then) {
    ++state_->stats.requests;
    state_->client->raw(std::move(q), std::move(then));
  }

  void fail(Error e) { done_(Result<std::shared_ptr<const SdrRepository>>::failure(std::move(e))); }

  void reserve(std::function<void()> then) {
    if (reserves_++ >= kMaxReserves)
      return fail({Status::completion_code, kCcInvalidReservation,
                   fmt::format("SDR repository: reservation lost {} times during one walk (the "
                               "repository keeps changing); the next collection reads it again",
                               kMaxReserves)});
    send(sdr::reserve_repository(), [self = shared_from_this(), then](Result<Response> r) {
      if (!r.ok()) return self->fail(r.error);
      auto id = sdr::parse_reservation(*r.value);
      if (!id.ok()) return self->fail(id.error);
      self->reservation_ = *id.value;
      then();
    });
  }

  void next() {
    if (id_ == sdr::kLastRecord) return finish();
    const bool looped = !seen_.insert(id_).second;
    if (looped || seen_.size() > std::size_t(repo_->info.records) + kSlack)
      return fail(
          {Status::malformed, 0,
           fmt::format("SDR repository: the next-record chain {} at record 0x{:04x} "
                       "({} records announced); the BMC's repository is inconsistent",
                       looped ? "loops" : "runs past the count", id_, repo_->info.records)});
    record_.clear();
    if (state_->stats.chunk == sdr::kReadWhole) return read_whole();
    read_part();
  }

  // Handles what every Get SDR answer may say; false when the caller is done.
  bool usable(const Result<Response>& r, std::function<void()> retry) {
    if (!r.ok()) {
      fail(r.error);
      return false;
    }
    if (r.value->cc == kCcInvalidReservation) {
      reserve(std::move(retry));
      return false;
    }
    // A whole-record read refused in any way (BMCs differ in the code they
    // pick) is retried as header and chunks; a chunk refused as too big, smaller.
    const bool whole = state_->stats.chunk == sdr::kReadWhole;
    if (r.value->cc && (whole || (too_big(r.value->cc) && state_->stats.chunk > kMinChunk))) {
      auto& chunk = state_->stats.chunk;
      chunk = chunk == sdr::kReadWhole ? 32 : std::uint8_t(chunk / 2);
      record_.clear();
      read_part();
      return false;
    }
    return true;
  }

  void read_whole() {
    send(sdr::get_sdr(reservation_, id_, 0, sdr::kReadWhole),
         [self = shared_from_this()](Result<Response> r) {
           if (!self->usable(r, [self] { self->read_whole(); })) return;
           auto c = sdr::parse_sdr(*r.value);
           if (!c.ok()) return self->fail(c.error);
           const auto& d = c.value->data;
           // Some BMCs cut a whole-record answer short without saying so.
           if (d.size() < sdr::kHeaderSize || d.size() < std::size_t(d[4]) + sdr::kHeaderSize) {
             self->state_->stats.chunk = 32;
             return self->read_part();
           }
           self->record_ = d;
           self->record_.resize(std::size_t(d[4]) + sdr::kHeaderSize);
           self->got_record(c.value->next_record);
         });
  }

  // Header first (its length byte says how much follows), then chunks.
  void read_part() {
    const std::size_t have = record_.size();
    const std::size_t total =
        have < sdr::kHeaderSize ? sdr::kHeaderSize : std::size_t(record_[4]) + sdr::kHeaderSize;
    const auto count = std::uint8_t(std::min<std::size_t>(
        have < sdr::kHeaderSize ? sdr::kHeaderSize : state_->stats.chunk, total - have));
    send(sdr::get_sdr(reservation_, id_, std::uint8_t(have), count),
         [self = shared_from_this(), count](Result<Response> r) {
           if (!self->usable(r, [self] { self->read_part(); })) return;
           auto c = sdr::parse_sdr(*r.value);
           if (!c.ok()) return self->fail(c.error);
           if (c.value->data.size() != count)
             return self->fail({Status::malformed, 0,
                                fmt::format("Get SDR record 0x{:04x}: {} bytes for {} asked",
                                            self->id_, c.value->data.size(), count)});
           auto& rec = self->record_;
           rec.insert(rec.end(), c.value->data.begin(), c.value->data.end());
           if (rec.size() < std::size_t(rec[4]) + sdr::kHeaderSize) return self->read_part();
           self->got_record(c.value->next_record);
         });
  }

  void got_record(std::uint16_t next_id) {
    ++repo_->records;
    auto d = sdr::decode(record_);
    if (d.error) repo_->problems.push_back(d.why);
    for (auto& s : d.sensors) repo_->sensors.push_back(std::move(s));
    id_ = next_id;
    next();
  }

  void finish() {
    state_->cache = repo_;
    done_(Result<std::shared_ptr<const SdrRepository>>::success(repo_));
  }

  std::shared_ptr<SdrReader::State> state_;
  RepoDone done_;
  std::shared_ptr<SdrRepository> repo_;
  std::uint16_t reservation_ = 0;
  std::uint16_t id_ = 0;
  int reserves_ = 0;
  std::set<std::uint16_t> seen_;
  Bytes record_;
};

}  // namespace

SdrReader::SdrReader(std::shared_ptr<Client> client) : state_(std::make_shared<State>()) {
  state_->client = std::move(client);
}

SdrReader::~SdrReader() = default;

SdrReaderStats SdrReader::stats() const { return state_->stats; }

void SdrReader::refresh(RepoDone done) {
  ++state_->stats.requests;
  state_->client->raw(sdr::get_repository_info(), [state = state_, done = std::move(done)](
                                                      Result<Response> r) mutable {
    if (!r.ok()) return done(Result<std::shared_ptr<const SdrRepository>>::failure(r.error));
    auto info = sdr::parse_repository_info(*r.value);
    if (!info.ok()) return done(Result<std::shared_ptr<const SdrRepository>>::failure(info.error));
    if (state->cache && state->cache->info.same_contents(*info.value))
      return done(Result<std::shared_ptr<const SdrRepository>>::success(state->cache));
    state->cache.reset();  // a failed walk must not leave the old records in place
    std::make_shared<Walk>(state, *info.value, std::move(done))->start();
  });
}

namespace {

void store(SensorValue& v, const Response& response) {
  auto reading = sdr::parse_sensor_reading(response);
  if (!reading.ok()) {
    v.why = reading.error.message;
    return;
  }
  if (!reading.value->available) {
    v.why = "the BMC has no reading (scanning disabled or reading unavailable)";
    return;
  }
  v.value = sdr::convert(v.record, reading.value->raw, &v.why);
}

struct Readings {
  std::vector<SensorValue> values;
  std::size_t pending = 0;
  std::optional<Error> failure;
  Callback<std::vector<SensorValue>> done;
};

}  // namespace

void read_sensors(const std::shared_ptr<Client>& client, std::vector<sdr::SensorRecord> sensors,
                  Callback<std::vector<SensorValue>> done) {
  auto r = std::make_shared<Readings>();
  r->done = std::move(done);
  for (auto& s : sensors) r->values.push_back({std::move(s), std::nullopt, {}});
  r->pending = r->values.size();
  if (!r->pending) return r->done(Result<std::vector<SensorValue>>::success({}));
  for (std::size_t i = 0; i < r->values.size(); ++i)
    client->raw(sdr::get_sensor_reading(r->values[i].record.number),
                [r, i](Result<Response> answer) {
                  if (!answer.ok() && answer.error.status != Status::completion_code && !r->failure)
                    r->failure = answer.error;
                  if (answer.ok()) store(r->values[i], *answer.value);
                  if (--r->pending) return;
                  if (r->failure)
                    return r->done(Result<std::vector<SensorValue>>::failure(*r->failure));
                  r->done(Result<std::vector<SensorValue>>::success(std::move(r->values)));
                });
}

}  // namespace bmcquiet::ipmi
