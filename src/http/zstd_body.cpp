#include "http/zstd_body.hpp"

#include <zstd.h>

#include <algorithm>
#include <memory>

#include "common/ascii.hpp"
#include "routing/request_info.hpp"

namespace corral::http1 {
namespace {

// One decompression context per worker thread, reset before each body: creating one costs more than a
// small body's decompression.
struct DCtxFree {
  void operator()(ZSTD_DCtx* d) const noexcept { ZSTD_freeDCtx(d); }
};

ZSTD_DCtx* thread_dctx() {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxFree> dctx(ZSTD_createDCtx());
  if (!dctx) return nullptr;
  ZSTD_DCtx_reset(dctx.get(), ZSTD_reset_session_and_parameters);
  ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax, kMaxZstdWindowLog);
  return dctx.get();
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Resizes `out` to `size` with the facts parser's padding spare, so that parser never copies it again.
// Into a fresh allocation of exactly that much: std::string::reserve may double the capacity instead,
// which near the cap would allocate twice what the cap promises.
void grow_to(std::string& out, std::size_t size) {
  if (out.capacity() < size + routing::kBodyPadding) {
    std::string bigger;
    bigger.reserve(size + routing::kBodyPadding);
    bigger.append(out);
    out.swap(bigger);
  }
  out.resize(size);
}

// The first size to decode into: the frame's declared size when it has one (the common case: one frame,
// written by a one-shot compressor), else a guess from the compressed size; then doubling.
std::size_t first_size(std::string_view compressed, std::size_t limit) {
  const unsigned long long declared = ZSTD_getFrameContentSize(compressed.data(), compressed.size());
  std::size_t guess = std::max<std::size_t>(16 * 1024, compressed.size() * 4);
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR && declared < limit) {
    guess = static_cast<std::size_t>(declared) + 1;  // + 1: the end is seen without one more growth
  }
  return std::min(guess, limit + 1);
}

constexpr std::string_view kZstdRoutes =
    "/v1/chat/completions, /v1/completions, /v1/embeddings, /v1/responses and /v1/messages";

}  // namespace

ContentCoding content_coding(const http::fields& fields) {
  const auto [first, last] = fields.equal_range(http::field::content_encoding);
  if (first == last) return ContentCoding::kIdentity;
  if (std::next(first) != last) return ContentCoding::kOther;
  const std::string_view v = trim_ows(first->value());
  if (v.empty() || common::ascii_iequals(v, "identity")) return ContentCoding::kIdentity;
  if (common::ascii_iequals(v, "zstd")) return ContentCoding::kZstd;
  return ContentCoding::kOther;
}

ZstdResult decompress_zstd(std::string_view compressed, std::size_t limit, std::string& out) {
  out.clear();
  if (compressed.empty()) return {};
  ZSTD_DCtx* dctx = thread_dctx();
  if (dctx == nullptr) return {ZstdStatus::kCorrupt, "out of memory for a zstd decoder"};
  const unsigned long long declared = ZSTD_getFrameContentSize(compressed.data(), compressed.size());
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR && declared > limit) {
    return {ZstdStatus::kTooLarge, {}};  // the frame says so itself: not one byte needs decoding
  }
  grow_to(out, first_size(compressed, limit));
  ZSTD_inBuffer in{compressed.data(), compressed.size(), 0};
  std::size_t produced = 0;
  std::size_t pending = 0;  // libzstd's hint: 0 once a frame is complete and flushed
  for (;;) {
    if (produced == out.size()) {
      if (out.size() > limit) break;
      grow_to(out, std::min(out.size() * 2, limit + 1));
    }
    ZSTD_outBuffer o{out.data(), out.size(), produced};
    pending = ZSTD_decompressStream(dctx, &o, &in);
    produced = o.pos;
    if (ZSTD_isError(pending)) {
      out.resize(produced);
      return {ZstdStatus::kCorrupt, ZSTD_getErrorName(pending)};
    }
    if (produced > limit) break;
    // All input taken, and either a frame just ended (flushed whole) or room was left in the output (the
    // decoder has flushed all it can). Not when the output is merely full: more may be waiting in it.
    if (in.pos == in.size && (pending == 0 || o.pos < o.size)) break;
  }
  if (produced > limit) {
    out.resize(limit);
    return {ZstdStatus::kTooLarge, {}};
  }
  out.resize(produced);
  if (pending != 0) return {ZstdStatus::kTruncated, {}};
  return {};
}

FactsBody body_for_facts(const routing::Route& route, const http::fields& fields, std::string_view body) {
  FactsBody f;
  if (!route.needs_body_model()) return f;
  const ContentCoding coding = content_coding(fields);
  if (coding == ContentCoding::kIdentity) return f;
  const bool decodes = route.traits->decodes_zstd;
  if (coding == ContentCoding::kOther || !decodes) {
    const std::string named = fields.count(http::field::content_encoding) > 1
                                  ? std::string("several Content-Encoding fields")
                                  : "Content-Encoding \"" + std::string(trim_ows(fields[http::field::content_encoding])) + "\"";
    f.refusal = BodyRefusal{415, "unsupported " + named, decodes ? "zstd" : "identity"};
    f.refusal->message += decodes ? ": send the body as zstd or uncompressed"
                                  : ": send the body uncompressed (Ollama decompresses zstd only on " +
                                        std::string(kZstdRoutes) + ")";
    return f;
  }
  const ZstdResult r = decompress_zstd(body, kMaxDecompressedBody, f.body);
  switch (r.status) {
    case ZstdStatus::kOk:
      f.decoded = true;
      return f;
    case ZstdStatus::kTooLarge:
      std::string().swap(f.body);  // gives the memory back (assigning an empty string keeps it)
      f.refusal = BodyRefusal{413, "request body too large: over 20 MiB once decompressed", {}};
      return f;
    case ZstdStatus::kCorrupt:
      std::string().swap(f.body);
      f.refusal = BodyRefusal{400, "failed to decompress zstd body: " + r.detail, {}};
      return f;
    case ZstdStatus::kTruncated:
      std::string().swap(f.body);
      f.refusal = BodyRefusal{400, "failed to decompress zstd body: the body ends inside a frame", {}};
      return f;
  }
  return f;
}

}  // namespace corral::http1
