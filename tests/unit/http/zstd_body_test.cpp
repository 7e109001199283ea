// The zstd reader of request bodies: real compressed bodies (one-shot with a declared size, streamed
// without one, several frames), a bomb over the cap (declared and undeclared), a truncated frame, garbage,
// a frame asking for a window over the cap; the Content-Encoding rules; and what each route does with a
// coded body (decoded for the facts on the rows that decode zstd, 415 elsewhere and for other codings).
#include "http/zstd_body.hpp"

#include <zstd.h>

#include <gtest/gtest.h>

#include <string>

#include "routing/request_info.hpp"

namespace corral::http1 {
namespace {

std::string zstd_once(std::string_view plain, int level = 3) {
  std::string out(ZSTD_compressBound(plain.size()), '\0');
  const std::size_t n = ZSTD_compress(out.data(), out.size(), plain.data(), plain.size(), level);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

// A streamed frame: no content size in its header, so only the decoder's own cap stops it.
std::string zstd_streamed(std::string_view plain, int window_log = 0) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
  if (window_log != 0) ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, window_log);
  std::string out(ZSTD_compressBound(plain.size()) + 64, '\0');
  ZSTD_inBuffer in{plain.data(), plain.size(), 0};
  ZSTD_outBuffer o{out.data(), out.size(), 0};
  // The input first, then the end: a compressor given everything with ZSTD_e_end knows the size and
  // would shrink the window it declares.
  std::size_t left = ZSTD_compressStream2(cctx, &o, &in, ZSTD_e_continue);
  EXPECT_FALSE(ZSTD_isError(left));
  do {
    ZSTD_inBuffer none{nullptr, 0, 0};
    left = ZSTD_compressStream2(cctx, &o, in.pos == in.size ? &none : &in, ZSTD_e_end);
    EXPECT_FALSE(ZSTD_isError(left));
  } while (left != 0 && !ZSTD_isError(left));
  ZSTD_freeCCtx(cctx);
  out.resize(o.pos);
  return out;
}

const std::string kChat = R"({"model":"qwen3:8b","stream":true,"messages":[{"role":"user","content":"hi"}]})";

TEST(ZstdBody, DecompressesARealBody) {
  std::string out;
  for (const std::string& coded : {zstd_once(kChat), zstd_streamed(kChat)}) {
    const ZstdResult r = decompress_zstd(coded, kMaxDecompressedBody, out);
    EXPECT_EQ(r.status, ZstdStatus::kOk) << r.detail;
    EXPECT_EQ(out, kChat);
    EXPECT_GE(out.capacity(), out.size() + routing::kBodyPadding);  // the facts parser reads it in place
  }
  // Several frames are one body, as Ollama's reader sees them; an empty body stays empty.
  EXPECT_EQ(decompress_zstd(zstd_once("{\"a\":") + zstd_streamed("1}"), 100, out).status, ZstdStatus::kOk);
  EXPECT_EQ(out, "{\"a\":1}");
  EXPECT_EQ(decompress_zstd("", 100, out).status, ZstdStatus::kOk);
  EXPECT_EQ(out, "");
  // A body that fills the first buffer exactly (16 KiB, no declared size): complete, not truncated.
  const std::string exact(16 * 1024, 'y');
  EXPECT_EQ(decompress_zstd(zstd_streamed(exact), kMaxDecompressedBody, out).status, ZstdStatus::kOk);
  EXPECT_EQ(out, exact);
  // A body larger than the first guesses: the buffer grows until the frame ends.
  const std::string big(3 << 20, 'x');
  EXPECT_EQ(decompress_zstd(zstd_streamed(big), kMaxDecompressedBody, out).status, ZstdStatus::kOk);
  EXPECT_EQ(out.size(), big.size());
}

TEST(ZstdBody, ABombStopsAtTheCap) {
  const std::string plain(2 << 20, '\0');
  std::string out;
  // Undeclared size: decoded until the output passes the cap, never further.
  const std::string streamed = zstd_streamed(plain);
  ASSERT_LT(streamed.size(), 1024u);
  EXPECT_EQ(decompress_zstd(streamed, 1 << 20, out).status, ZstdStatus::kTooLarge);
  EXPECT_LE(out.capacity(), (1u << 20) + 1 + routing::kBodyPadding + 64);
  // Declared size: refused from the frame header alone.
  EXPECT_EQ(decompress_zstd(zstd_once(plain), 1 << 20, out).status, ZstdStatus::kTooLarge);
  EXPECT_TRUE(out.empty());
  // Exactly at the cap is still fine.
  EXPECT_EQ(decompress_zstd(streamed, 2 << 20, out).status, ZstdStatus::kOk);
  EXPECT_EQ(out.size(), plain.size());
}

TEST(ZstdBody, TruncatedAndCorruptFrames) {
  std::string out;
  const std::string coded = zstd_streamed(kChat);
  EXPECT_EQ(decompress_zstd(std::string_view(coded).substr(0, coded.size() - 3), 1 << 20, out).status,
            ZstdStatus::kTruncated);
  EXPECT_EQ(decompress_zstd(std::string_view(coded).substr(0, 4), 1 << 20, out).status, ZstdStatus::kTruncated);
  const ZstdResult garbage = decompress_zstd(kChat, 1 << 20, out);  // plain JSON sent as zstd
  EXPECT_EQ(garbage.status, ZstdStatus::kCorrupt);
  EXPECT_FALSE(garbage.detail.empty());
  EXPECT_EQ(decompress_zstd(coded + "trailing", 1 << 20, out).status, ZstdStatus::kCorrupt);
  std::string flipped = zstd_once(std::string(4096, 'a') + kChat, 1);
  flipped[flipped.size() / 2] ^= 0x5a;
  EXPECT_NE(decompress_zstd(flipped, 1 << 20, out).status, ZstdStatus::kOk);
}

TEST(ZstdBody, AFrameAskingForAHugeWindowIsRefused) {
  // 128 MiB window declared by a streamed frame: the decoder would allocate it; Ollama's allows 8 MiB.
  const std::string coded = zstd_streamed(kChat, 27);
  std::string out;
  const ZstdResult r = decompress_zstd(coded, kMaxDecompressedBody, out);
  EXPECT_EQ(r.status, ZstdStatus::kCorrupt);
  EXPECT_NE(r.detail.find("memory"), std::string::npos) << r.detail;  // refused for its window, not its bytes
  EXPECT_EQ(decompress_zstd(zstd_streamed(kChat, kMaxZstdWindowLog), kMaxDecompressedBody, out).status,
            ZstdStatus::kOk);
}

TEST(ZstdBody, ContentCodingOfTheHead) {
  const auto coding = [](std::initializer_list<std::string_view> values) {
    http::fields f;
    for (std::string_view v : values) f.insert(http::field::content_encoding, v);
    return content_coding(f);
  };
  EXPECT_EQ(coding({}), ContentCoding::kIdentity);
  EXPECT_EQ(coding({""}), ContentCoding::kIdentity);
  EXPECT_EQ(coding({"Identity"}), ContentCoding::kIdentity);
  EXPECT_EQ(coding({"zstd"}), ContentCoding::kZstd);
  EXPECT_EQ(coding({" ZSTD "}), ContentCoding::kZstd);
  EXPECT_EQ(coding({"gzip"}), ContentCoding::kOther);
  EXPECT_EQ(coding({"br"}), ContentCoding::kOther);
  EXPECT_EQ(coding({"zstd, gzip"}), ContentCoding::kOther);
  EXPECT_EQ(coding({"zstd", "zstd"}), ContentCoding::kOther);
}

struct Coded {
  http::fields fields;
  std::string body;
  routing::Route route;
};

Coded coded(std::string_view target, std::string_view encoding, std::string body) {
  Coded c;
  if (!encoding.empty()) c.fields.set(http::field::content_encoding, encoding);
  c.body = std::move(body);
  c.route = routing::route_request(http::verb::post, target);
  return c;
}

TEST(ZstdBody, TheRowsOllamaDecompressesReadTheModelFromTheDecodedCopy) {
  for (std::string_view target :
       {"/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/responses", "/v1/messages"}) {
    SCOPED_TRACE(std::string(target));
    Coded c = coded(target, "zstd", zstd_once(kChat));
    FactsBody f = body_for_facts(c.route, c.fields, c.body);
    ASSERT_FALSE(f.refusal) << f.refusal->message;
    ASSERT_TRUE(f.decoded);
    const routing::RequestInfo info = routing::read_request_facts(c.route, f.body);
    EXPECT_TRUE(info.ok()) << info.error_message;
    EXPECT_EQ(info.model_key, "qwen3:8b");
    EXPECT_TRUE(info.stream);
  }
  // Uncoded bodies, and routes that never read their body, are left as they are.
  Coded plain = coded("/v1/chat/completions", "", kChat);
  EXPECT_FALSE(body_for_facts(plain.route, plain.fields, plain.body).decoded);
  Coded blob = coded("/api/blobs/sha256:abc", "gzip", "bytes");
  EXPECT_FALSE(body_for_facts(blob.route, blob.fields, blob.body).refusal);
  Coded tags = coded("/v1/audio/transcriptions", "zstd", "multipart");
  EXPECT_FALSE(body_for_facts(tags.route, tags.fields, tags.body).refusal);
}

TEST(ZstdBody, UnknownCodingsAndZstdWhereOllamaDoesNotDecompressAre415) {
  Coded gzip = coded("/v1/responses", "gzip", "\x1f\x8b...");
  FactsBody f = body_for_facts(gzip.route, gzip.fields, gzip.body);
  ASSERT_TRUE(f.refusal);
  EXPECT_EQ(f.refusal->status, 415);
  EXPECT_EQ(f.refusal->accept_encoding, "zstd");
  EXPECT_NE(f.refusal->message.find("\"gzip\""), std::string::npos);
  Coded native = coded("/api/chat", "zstd", zstd_once(kChat));
  f = body_for_facts(native.route, native.fields, native.body);
  ASSERT_TRUE(f.refusal);
  EXPECT_EQ(f.refusal->status, 415);
  EXPECT_EQ(f.refusal->accept_encoding, "identity");
  EXPECT_NE(f.refusal->message.find("/v1/responses"), std::string::npos);
  Coded listed = coded("/v1/messages", "zstd, gzip", zstd_once(kChat));
  f = body_for_facts(listed.route, listed.fields, listed.body);
  ASSERT_TRUE(f.refusal);
  EXPECT_EQ(f.refusal->status, 415);
}

TEST(ZstdBody, ABombIs413AndABrokenFrame400) {
  // 21 MiB of zeros in a few hundred bytes, without a declared size: the real cap stops it.
  Coded bomb = coded("/v1/chat/completions", "zstd", zstd_streamed(std::string(21 << 20, '\0')));
  FactsBody f = body_for_facts(bomb.route, bomb.fields, bomb.body);
  ASSERT_TRUE(f.refusal);
  EXPECT_EQ(f.refusal->status, 413);
  EXPECT_EQ(f.body.capacity(), std::string().capacity());  // nothing of it is kept
  const std::string whole = zstd_once(kChat);
  Coded cut = coded("/v1/messages", "zstd", whole.substr(0, whole.size() - 2));
  f = body_for_facts(cut.route, cut.fields, cut.body);
  ASSERT_TRUE(f.refusal);
  EXPECT_EQ(f.refusal->status, 400);
  EXPECT_NE(f.refusal->message.find("failed to decompress zstd body"), std::string::npos);
  Coded garbage = coded("/v1/messages", "zstd", kChat);
  f = body_for_facts(garbage.route, garbage.fields, garbage.body);
  ASSERT_TRUE(f.refusal);
  EXPECT_EQ(f.refusal->status, 400);
}

}  // namespace
}  // namespace corral::http1
