// corral sim's scheduling seen from clients on real sockets: the 503 with Ollama's busy text once the
// queue is full, a disconnect that cancels the generation and frees its slot (counted in /sim/stats),
// eviction of an idle model under VRAM pressure while a model in use is never evicted, and a cold load
// that shows up in load_duration as size / --load-gbps while a slot wait does not, and keep-alive expiry.
// Slots are held by slow (or stalled) streams that the test ends itself, so assertions are on counts and
// states; the only durations asserted are what the sim reports, against each other or against the load
// time its own flags set (a timer never fires early).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "support/http_client.hpp"
#include "support/poll.hpp"
#include "support/sim.hpp"

namespace {

using namespace corral::testing;
namespace json = boost::json;

constexpr std::string_view kBusyBody =
    R"({"error":"server busy, please try again.  maximum pending requests exceeded"})";

// A streamed generation long enough to hold its slot until the test closes the connection.
std::string long_generate(std::string_view model) {
  return R"({"model":")" + std::string(model) + R"(","prompt":"hold","options":{"num_predict":100000}})";
}

// Starts a slot-holding stream and waits for its first token, so the slot is certainly taken.
void hold_slot(HttpConnection& c, std::string_view model) {
  const auto head = c.start("POST", "/api/generate", long_generate(model));
  ASSERT_EQ(head.status, 200);
  ASSERT_TRUE(c.next_chunk().has_value());
}

// Sends a request without reading: a request that will wait in a queue gives no answer to wait for.
// With `close`, the answer ends with the connection, so read_until_close() returns all of it.
void send_only(HttpConnection& c, std::string_view body, bool close = false) {
  c.send_raw("POST /api/generate HTTP/1.1\r\nHost: sim\r\nContent-Type: application/json\r\n" +
             std::string(close ? "Connection: close\r\n" : "") + "Content-Length: " + std::to_string(body.size()) +
             "\r\n\r\n" + std::string(body));
}

std::vector<std::string> loaded(const std::string& address) {
  const auto stats = sim_stats(address);  // named: a range-for over a temporary's member would dangle
  std::vector<std::string> names;
  for (const auto& v : stats.at("loaded").as_array()) names.emplace_back(v.as_string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(SimScheduling, FullQueueAnswers503WithOllamasBusyTextAndDisconnectsFreeTheirPlaces) {
  auto sim = start_sim({"llama3:8b=1GB"}, {"--num-parallel", "1", "--max-queue", "1", "--tokens-per-second", "20"});
  const auto& a = sim.address;
  HttpConnection running(a);
  ASSERT_NO_FATAL_FAILURE(hold_slot(running, "llama3:8b"));
  HttpConnection queued(a);
  send_only(queued, long_generate("llama3:8b"));
  ASSERT_TRUE(poll_until([&] { return stat(a, "queued") == 1; }));

  const auto busy = http_post(a, "/api/generate", R"({"model":"llama3:8b","prompt":"x"})");
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(busy.body, kBusyBody);
  const auto busy_chat = http_post(a, "/api/chat", R"({"model":"llama3:8b","messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(busy_chat.status, 503);
  EXPECT_EQ(busy_chat.body, kBusyBody);
  EXPECT_EQ(stat(a, "rejected_busy"), 2);

  // A waiting client that leaves gives its place in the queue back at once.
  queued.close();
  ASSERT_TRUE(poll_until([&] { return stat(a, "cancelled") == 1 && stat(a, "queued") == 0; }));
  HttpConnection next(a);
  send_only(next, long_generate("llama3:8b"));
  ASSERT_TRUE(poll_until([&] { return stat(a, "queued") == 1; }));
  EXPECT_EQ(stat(a, "rejected_busy"), 2);

  // The running client leaves: its generation stops and the waiting request takes the slot.
  running.close();
  ASSERT_TRUE(poll_until([&] { return stat(a, "cancelled") == 2 && stat(a, "queued") == 0; }));
  EXPECT_EQ(stat(a, "active"), 1);
  next.close();
  ASSERT_TRUE(poll_until([&] { return stat(a, "cancelled") == 3 && stat(a, "active") == 0; }));

  const auto ok = http_post(a, "/api/generate", R"({"model":"llama3:8b","prompt":"x","stream":false,"options":{"num_predict":1}})");
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(stat(a, "requests"), 6);
}

TEST(SimScheduling, IdleModelIsEvictedUnderVramPressureButAModelInUseIsNot) {
  // 3 GB of VRAM holds one of the two 2 GB models.
  auto sim = start_sim({"a:1b=2GB", "b:1b=2GB"}, {"--vram", "3GB", "--tokens-per-second", "20"});
  const auto& addr = sim.address;
  const std::string quick_a = R"({"model":"a:1b","prompt":"x","stream":false,"options":{"num_predict":1}})";
  const std::string quick_b = R"({"model":"b:1b","prompt":"x","stream":false,"options":{"num_predict":1}})";
  ASSERT_EQ(http_post(addr, "/api/generate", quick_a).status, 200);
  EXPECT_EQ(loaded(addr), std::vector<std::string>{"a:1b"});

  // a is idle: loading b evicts it.
  ASSERT_EQ(http_post(addr, "/api/generate", quick_b).status, 200);
  EXPECT_EQ(loaded(addr), std::vector<std::string>{"b:1b"});
  EXPECT_EQ(stat(addr, "evictions"), 1);
  const auto ps = json::parse(http_get(addr, "/api/ps").body).as_object();
  ASSERT_EQ(ps.at("models").as_array().size(), 1u);
  EXPECT_EQ(ps.at("models").as_array()[0].at("name").as_string(), "b:1b");
  EXPECT_EQ(ps.at("models").as_array()[0].at("size_vram").as_int64(), 2'000'000'000);

  // b is in use: a request for a waits instead of evicting it, and loads once b goes idle.
  HttpConnection holder(addr);
  ASSERT_NO_FATAL_FAILURE(hold_slot(holder, "b:1b"));
  HttpConnection waiter(addr);
  send_only(waiter, quick_a);
  ASSERT_TRUE(poll_until([&] { return stat(addr, "queued") == 1; }));
  EXPECT_EQ(loaded(addr), std::vector<std::string>{"b:1b"});
  EXPECT_EQ(stat(addr, "evictions"), 1);

  holder.close();
  ASSERT_TRUE(poll_until([&] { return stat(addr, "evictions") == 2 && stat(addr, "queued") == 0; }));
  ASSERT_TRUE(poll_until([&] { return loaded(addr) == std::vector<std::string>{"a:1b"}; }));
  EXPECT_EQ(stat(addr, "loads"), 3);
  EXPECT_LE(stat(addr, "vram_used"), 3'000'000'000);
}

TEST(SimScheduling, ColdLoadTakesSizeOverLoadSpeedAndShowsInLoadDuration) {
  // 10 GB/s: the 2 GB model loads in 200 ms, the 500 MB one in 50 ms; a warm model needs no load.
  auto sim = start_sim({"big:1b=2GB", "small:1b=500MB"}, {"--load-gbps", "10", "--tokens-per-second", "0"});
  auto load_ns = [&](std::string_view model) {
    const auto r = http_post(sim.address, "/api/generate",
                             R"({"model":")" + std::string(model) + R"(","prompt":"x","stream":false,"options":{"num_predict":1}})");
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body).at("load_duration").as_int64();
  };
  const auto big_cold = load_ns("big:1b");
  const auto big_warm = load_ns("big:1b");
  const auto small_cold = load_ns("small:1b");
  EXPECT_GE(big_cold, 200'000'000);
  EXPECT_GE(small_cold, 50'000'000);
  EXPECT_LT(big_warm, big_cold);
  EXPECT_EQ(stat(sim.address, "loads"), 2);
}

TEST(SimScheduling, DisconnectDuringALoadAbortsTheLoadAndFreesItsMemory) {
  // A 100 s load: it is certainly still running when the client leaves.
  auto sim = start_sim({"huge:1b=100GB"}, {"--vram", "200GB", "--load-gbps", "1"});
  const auto& a = sim.address;
  HttpConnection c(a);
  send_only(c, R"({"model":"huge:1b","prompt":"x"})");
  ASSERT_TRUE(poll_until([&] {
    const auto stats = sim_stats(a);
    return !stats.at("loading").as_array().empty();
  }));
  EXPECT_EQ(stat(a, "vram_used"), 100'000'000'000);
  c.close();
  ASSERT_TRUE(poll_until([&] { return stat(a, "load_aborts") == 1 && stat(a, "cancelled") == 1; }));
  EXPECT_EQ(stat(a, "vram_used"), 0);
  EXPECT_EQ(stat(a, "loads"), 0);
  EXPECT_EQ(stat(a, "active"), 0);
  EXPECT_TRUE(sim_stats(a).at("loading").as_array().empty());
}

TEST(SimScheduling, SlotWaitShowsInTotalDurationButNotInLoadDuration) {
  // Like Ollama: load_duration ends when the request has a resident runner; waiting for one of its
  // parallel slots comes after. The sim times that wait itself (/sim/stats slot_wait_ns), so the test
  // checks where it shows instead of timing anything. Untimed tokens: the waiting request spends next to
  // nothing past its slot, so a wait counted into load_duration could not hide in its generation time.
  auto sim = start_sim({"llama3:8b=1GB"}, {"--num-parallel", "1", "--tokens-per-second", "0"});
  const auto& a = sim.address;
  const std::string quick = R"({"model":"llama3:8b","prompt":"x","stream":false,"options":{"num_predict":1}})";
  ASSERT_EQ(http_post(a, "/api/generate", quick).status, 200);  // resident from now on
  // The holder's stream stalls after its first chunk and keeps the only slot until the test closes it.
  ASSERT_EQ(http_post(a, "/sim/fault", R"({"stall_after_chunks":1,"stall_for":"1h","requests":1})").status, 200);
  HttpConnection holder(a);
  ASSERT_NO_FATAL_FAILURE(hold_slot(holder, "llama3:8b"));
  HttpConnection waiting(a);
  send_only(waiting, quick, true);
  ASSERT_TRUE(poll_until([&] { return stat(a, "queued") == 1; }));
  EXPECT_EQ(stat(a, "slot_waits"), 0);  // counted when the wait ends
  holder.close();

  const std::string raw = waiting.read_until_close();
  ASSERT_EQ(raw.rfind("HTTP/1.1 200", 0), 0u) << raw;
  const auto done = json::parse(raw.substr(raw.find("\r\n\r\n") + 4)).as_object();
  EXPECT_EQ(stat(a, "slot_waits"), 1);  // the waiting request only: neither the first nor the holder waited
  const std::int64_t wait = stat(a, "slot_wait_ns");
  EXPECT_GT(wait, 0);
  const std::int64_t load = done.at("load_duration").as_int64();
  const std::int64_t total = done.at("total_duration").as_int64();
  // The wait lies inside total_duration and outside load_duration: both fit in it side by side.
  EXPECT_GE(total, load + wait) << "load " << load << " wait " << wait << " total " << total;
}

TEST(SimScheduling, KeepAliveExpiryAndTheLoadAndUnloadCommandsShowInPs) {
  // The default keep-alive is long: the expiry timer waits on it and must re-arm for a shorter one.
  auto sim = start_sim({"llama3:8b=1GB"}, {"--keep-alive", "1h", "--tokens-per-second", "0"});
  const auto& addr = sim.address;
  auto command = [&](std::string_view keep_alive) {
    const auto r = http_post(addr, "/api/generate",
                             R"({"model":"llama3:8b","prompt":"","keep_alive":)" + std::string(keep_alive) + "}");
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body).at("done_reason").as_string();
  };
  auto ps_models = [&] { return json::parse(http_get(addr, "/api/ps").body).at("models").as_array(); };

  EXPECT_EQ(command(R"("300ms")"), "load");
  ASSERT_EQ(ps_models().size(), 1u);
  ASSERT_TRUE(poll_until([&] { return ps_models().empty(); }));
  EXPECT_EQ(stat(addr, "unloads"), 1);

  // Negative = forever: Ollama shows an expiry about 292 years away.
  EXPECT_EQ(command("-1"), "load");
  const auto pinned = ps_models();
  ASSERT_EQ(pinned.size(), 1u);
  const std::string expires(pinned[0].at("expires_at").as_string());
  EXPECT_GE(std::stoi(expires.substr(0, 4)), 2200) << expires;

  // keep_alive 0 with an empty prompt unloads even a pinned model.
  EXPECT_EQ(command("0"), "unload");
  ASSERT_TRUE(poll_until([&] { return ps_models().empty(); }));
  EXPECT_EQ(stat(addr, "unloads"), 2);
  EXPECT_EQ(stat(addr, "loads"), 2);
}

}  // namespace
