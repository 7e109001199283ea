// How fast the gateway finds the model in a request body (routing/request_info): 1 KiB and 1 MiB
// /api/generate bodies whose bulk is a base64 image, with `model` first or last (the cost must not depend
// on where it is, nor grow faster than the structural scan), plus a worst case made of many small tokens.
// Reports bytes/s.
//   cmake -DCORRAL_BENCH=ON ... && build/corral_micro_bench --benchmark_filter=ModelExtract
#include <benchmark/benchmark.h>

#include <string>

#include "routing/request_info.hpp"

namespace {

using corral::routing::extract_request_info;
using corral::routing::pad_body;
using corral::routing::route_request;

std::string base64_payload(std::size_t size) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out(size, 'A');
  std::uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (char& c : out) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = kAlphabet[x % 64];
  }
  return out;
}

std::string body_of(std::size_t total, bool model_first) {
  const std::string head = model_first ? R"({"model":"llava:13b","prompt":"What is in this picture?","images":[")"
                                       : R"({"prompt":"What is in this picture?","images":[")";
  const std::string tail = model_first ? R"("],"stream":false})" : R"("],"stream":false,"model":"llava:13b"})";
  std::string body = head + base64_payload(total - head.size() - tail.size()) + tail;
  (void)pad_body(body);
  return body;
}

void BM_ModelExtract(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  const bool model_first = state.range(1) != 0;
  std::string body = body_of(size, model_first);
  const auto route = route_request(corral::http::verb::post, "/api/generate");
  const std::string_view padded = pad_body(body);
  for (auto _ : state) {
    auto info = extract_request_info(route, padded);
    if (!info.ok() || info.model_key != "llava:13b") state.SkipWithError("extraction failed");
    benchmark::DoNotOptimize(info);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(size));
}

BENCHMARK(BM_ModelExtract)
    ->ArgNames({"bytes", "model_first"})
    ->Args({1024, 1})
    ->Args({1024, 0})
    ->Args({1 << 20, 1})
    ->Args({1 << 20, 0})
    ->Args({16 << 20, 1});

// Worst case for skipping: a value made of many small tokens (the deprecated `context` array of token
// ids), so skipping walks one structural index entry per token instead of jumping over one string.
void BM_ModelExtractManyTokens(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  std::string body = R"({"prompt":"continue","context":[)";
  for (std::uint32_t i = 0; body.size() < size - 64; ++i) body += std::to_string(100000 + (i * 7919) % 50000) + ",";
  body += R"(1],"model":"llama3:8b"})";
  const auto route = route_request(corral::http::verb::post, "/api/generate");
  const std::string_view padded = pad_body(body);
  for (auto _ : state) {
    auto info = extract_request_info(route, padded);
    if (!info.ok()) state.SkipWithError("extraction failed");
    benchmark::DoNotOptimize(info);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(body.size()));
}

BENCHMARK(BM_ModelExtractManyTokens)->ArgNames({"bytes"})->Arg(1 << 20);

}  // namespace
