// Shape: the first request that finds the model missing registers a flight for (pool, model) and spawns
// the pull on its worker, detached; it and every later request for the model then wait on the flight (a
// timer on their own worker, cancelled from the pull's end by a post, since Asio timers are not thread
// safe). The flight leaves the table only after the pull's inventory update, and a request re-checks the
// inventory under the table's lock before it starts a flight, so a request arriving as a pull ends never
// starts a second one.
#include "fleet_ops/auto_pull.hpp"

#include <limits>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "common/go_json.hpp"
#include "common/log.hpp"
#include "models/control_request.hpp"
#include "placement/placement_view.hpp"
#include "fleet_ops/backend_admission.hpp"
#include "fleet_ops/management_merge.hpp"
#include "upstream/agent_reading.hpp"
#include "upstream/backend.hpp"

namespace corral::fleet_ops {
namespace {

// One pull under way, shared by every request waiting for it. Guarded by AutoPullFlights::mu.
struct AutoPullFlight {
  bool done = false;
  std::optional<std::string> error;                   // the clients' error once done; nullopt = pulled
  std::vector<std::shared_ptr<SteadyTimer>> waiters;  // each on its request's worker
};

// Every pull under way, process-wide: requests for one model arrive on every worker thread.
struct AutoPullFlights {
  std::mutex mu;
  std::map<std::pair<std::string, std::uint64_t>, std::shared_ptr<AutoPullFlight>> by_model;  // (pool, model hash)
};

AutoPullFlights& auto_pull_flights() {
  static AutoPullFlights flights;
  return flights;
}

bool auto_pull_considers(const placement::PickInput& in, const upstream::PoolMember& m, std::int64_t now) {
  return m.eligible(now) && (in.target_backend.empty() || m.backend->name == in.target_backend);
}

bool auto_pull_holder_exists(const placement::PickInput& in, std::int64_t now) {
  for (const auto& m : in.snapshot->pools[in.pool].members) {
    if (auto_pull_considers(in, *m, now) && m->backend->catalog.may_have(in.model_hash)) return true;
  }
  return false;
}

// Free VRAM of member `i` as placement sees it (capacity less the models loaded or loading there); the
// largest value when its VRAM is unknown (no VRAM reasoning for that backend, as in placement).
std::uint64_t auto_pull_free_vram(const placement::PickInput& in, std::size_t i, std::vector<placement::Resident>& residents) {
  const upstream::PoolState& pool = in.snapshot->pools[in.pool];
  const upstream::Backend& b = *pool.members[i]->backend;
  const std::optional<std::uint64_t> vram = upstream::placement_vram(b, pool.config->backends[i]);
  if (!vram) return std::numeric_limits<std::uint64_t>::max();
  const auto table = b.catalog.table();
  placement::gather_residents(*in.snapshot, *table, in.model_hash, residents);
  std::uint64_t used = 0;
  for (const placement::Resident& r : residents) used += r.bytes;
  return used >= *vram ? 0 : *vram - used;
}

// Where the model goes: its size is unknown before the pull, so any eligible backend; the most free VRAM
// first, then the fewest requests running, then the first in the pool. Nullopt when none is eligible.
std::optional<std::uint32_t> auto_pull_target(const placement::PickInput& in, std::int64_t now) {
  const upstream::PoolState& pool = in.snapshot->pools[in.pool];
  std::vector<placement::Resident> residents;
  std::optional<std::uint32_t> best;
  std::uint64_t best_free = 0;
  std::uint32_t best_running = 0;
  for (std::uint32_t i = 0; i < pool.members.size(); ++i) {
    const upstream::PoolMember& m = *pool.members[i];
    if (!auto_pull_considers(in, m, now)) continue;
    const std::uint64_t free = auto_pull_free_vram(in, i, residents);
    const std::uint32_t running = m.backend->slots->in_flight.load(std::memory_order_relaxed);
    if (best && (free < best_free || (free == best_free && running >= best_running))) continue;
    best = i;
    best_free = free;
    best_running = running;
  }
  return best;
}

// POST /api/pull {"model":NAME,"stream":false} to `member`; nullopt on success, else why it failed. The
// whole pull must end within timeouts.pull (Ollama answers only once it has the model).
net::awaitable<std::optional<std::string>> auto_pull_send(std::shared_ptr<const placement::PickInput> in, std::uint32_t member,
                                                          std::string model_name) {
  // A slot and the pull slot on `member`, like a pull sent through the gateway; it waits behind a long pull.
  std::string why;
  auto admitting = admit_to_backend(in->snapshot, in->pool, in->model_key, in->model_hash, routing::Endpoint::kPull,
                                    in->snapshot->pools[in->pool].members[member]->backend->name, why);
  const std::optional<admission::Lease> lease = co_await std::move(admitting);
  if (!lease) co_return why;
  std::string body = "{\"model\":";
  gojson::append_string(body, model_name);
  body += ",\"stream\":false}";
  const std::shared_ptr<const upstream::Backend> backend = in->snapshot->pools[in->pool].members[member]->backend;
  const auto timeout = in->snapshot->config->timeouts.pull;
  auto posting = models::post_json(backend, "/api/pull", std::move(body), timeout);
  const models::ControlAnswer answer = co_await std::move(posting);
  if (answer.status == 200) co_return std::nullopt;
  if (answer.status == 0) co_return std::string("no answer (connection failed or timeouts.pull passed)");
  co_return error_field(answer.body).value_or("HTTP " + std::to_string(answer.status));
}

// Ends `flight`: removes it from the table and wakes its waiters (each on its own worker).
void auto_pull_finish(const std::pair<std::string, std::uint64_t>& key, const std::shared_ptr<AutoPullFlight>& flight,
                      std::optional<std::string> error) {
  std::vector<std::shared_ptr<SteadyTimer>> waiters;
  {
    AutoPullFlights& flights = auto_pull_flights();
    std::lock_guard lock(flights.mu);
    flight->done = true;
    flight->error = std::move(error);
    waiters.swap(flight->waiters);
    if (auto it = flights.by_model.find(key); it != flights.by_model.end() && it->second == flight) {
      flights.by_model.erase(it);
    }
  }
  for (auto& timer : waiters) {
    net::post(timer->get_executor(), [timer] { timer->cancel(); });
  }
}

// The detached pull: never throws, always ends the flight (its waiters would wait forever otherwise).
net::awaitable<void> auto_pull_run(std::shared_ptr<const placement::PickInput> in, std::uint32_t member, std::string model_name,
                                   std::shared_ptr<AutoPullFlight> flight) {
  const std::shared_ptr<upstream::Backend> backend = in->snapshot->pools[in->pool].members[member]->backend;
  const std::pair<std::string, std::uint64_t> key{in->snapshot->pools[in->pool].config->name, in->model_hash};
  log::info("auto-pull: pulling {} to backend {} (pool {})", log::sanitize(model_name), backend->name, key.first);
  std::optional<std::string> why;
  try {
    auto sending = auto_pull_send(in, member, model_name);
    why = co_await std::move(sending);
  } catch (const std::exception& e) {
    why = e.what();
  }
  std::optional<std::string> error;
  if (why) {
    error = "auto-pull of " + model_name + " on " + backend->name + " failed: " + *why;
    log::warn("{}", log::sanitize(*error));
  } else {
    backend->catalog.add_to_inventory(in->model_hash);  // before the flight ends: see the file comment
    log::info("auto-pull of {} on backend {} done", log::sanitize(model_name), backend->name);
  }
  auto_pull_finish(key, flight, std::move(error));
}

// Waits for `flight` to end on this worker; a client that leaves cancels the wait (then "cancelled").
net::awaitable<std::optional<std::string>> auto_pull_wait(std::shared_ptr<AutoPullFlight> flight) {
  auto timer = std::make_shared<SteadyTimer>(co_await net::this_coro::executor, SteadyTimer::time_point::max());
  AutoPullFlights& flights = auto_pull_flights();
  {
    std::lock_guard lock(flights.mu);
    if (flight->done) co_return flight->error;
    flight->waiters.push_back(timer);
  }
  // One thread runs this worker, so the posted cancel cannot run before this wait has started.
  (void)co_await timer->async_wait();
  std::lock_guard lock(flights.mu);
  if (!flight->done) co_return std::string("cancelled");
  co_return flight->error;
}

}  // namespace

bool needs_auto_pull(const routing::Route& route, const placement::PickInput& in) {
  if (route.kind != routing::RouteKind::kInference || in.model_hash == 0) return false;
  const std::size_t rule = in.snapshot->matcher.rule_for(in.model_key);
  if (rule == routing::ModelMatcher::npos || !in.snapshot->config->models[rule].auto_pull) return false;
  return !auto_pull_holder_exists(in, upstream::steady_ns());
}

net::awaitable<std::optional<std::string>> auto_pull(std::shared_ptr<const placement::PickInput> in, std::string model_name) {
  const auto ex = co_await net::this_coro::executor;
  std::shared_ptr<AutoPullFlight> flight;
  {
    AutoPullFlights& flights = auto_pull_flights();
    std::lock_guard lock(flights.mu);
    const std::int64_t now = upstream::steady_ns();
    if (auto_pull_holder_exists(*in, now)) co_return std::nullopt;  // a pull ended meanwhile
    const std::pair<std::string, std::uint64_t> key{in->snapshot->pools[in->pool].config->name, in->model_hash};
    if (auto it = flights.by_model.find(key); it != flights.by_model.end()) {
      flight = it->second;
    } else {
      const std::optional<std::uint32_t> member = auto_pull_target(*in, now);
      if (!member) co_return std::nullopt;
      flight = std::make_shared<AutoPullFlight>();
      flights.by_model.emplace(key, flight);
      net::co_spawn(ex, auto_pull_run(in, *member, model_name, flight), net::detached);
    }
  }
  auto waiting = auto_pull_wait(std::move(flight));
  co_return co_await std::move(waiting);
}

}  // namespace corral::fleet_ops
