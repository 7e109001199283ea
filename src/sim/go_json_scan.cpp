// A compact re-statement of the state machine in Go's encoding/json/scanner.go: an explicit stack of
// containers (no recursion, so hostile nesting cannot overflow ours), Go's 10000-level depth limit, and
// its error texts for each state.
#include "sim/go_json_scan.hpp"

#include <cstdio>
#include <vector>

namespace corral::sim {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Go's quoteChar: '\'' for a quote, '"' for a double quote, else strconv.Quote's escape inside '...'.
std::string quote_char(unsigned char c) {
  if (c == '\'') return "'\\''";
  if (c == '"') return "'\"'";
  switch (c) {
    case '\n': return "'\\n'";
    case '\r': return "'\\r'";
    case '\t': return "'\\t'";
    case '\b': return "'\\b'";
    case '\f': return "'\\f'";
    case '\\': return "'\\\\'";
    default: break;
  }
  char buf[16];
  if (c < 0x20 || c == 0x7f) std::snprintf(buf, sizeof buf, "'\\x%02x'", c);
  else if (c < 0x80) std::snprintf(buf, sizeof buf, "'%c'", c);
  else std::snprintf(buf, sizeof buf, "'%c%c'", 0xC0 | (c >> 6), 0x80 | (c & 0x3F));  // the byte as a rune
  return buf;
}

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  GoScan run() {
    skip_space();
    if (i_ == s_.size()) return {GoScan::Status::kEmpty, 0, {}};
    std::vector<char> stack;  // '{' or '['
    for (;;) {
      // Expecting a value.
      skip_space();
      if (i_ == s_.size()) return eof();
      const char c = s_[i_];
      if (c == '{' || c == '[') {
        if (stack.size() >= 10000) return fail("exceeded max depth");
        stack.push_back(c);
        ++i_;
        skip_space();
        if (i_ == s_.size()) return eof();
        if (c == '{') {
          if (s_[i_] == '}') { ++i_; stack.pop_back(); goto after_value; }
          if (!key()) return result_;
          continue;
        }
        if (s_[i_] == ']') { ++i_; stack.pop_back(); goto after_value; }
        continue;
      }
      if (!scalar("looking for beginning of value")) return result_;
    after_value:
      for (;;) {
        if (stack.empty()) return {GoScan::Status::kOk, i_, {}};
        skip_space();
        if (i_ == s_.size()) return eof();
        const char d = s_[i_];
        if (stack.back() == '{') {
          if (d == ',') { ++i_; if (!key()) return result_; break; }
          if (d == '}') { ++i_; stack.pop_back(); continue; }
          return invalid(d, "after object key:value pair");
        }
        if (d == ',') { ++i_; break; }
        if (d == ']') { ++i_; stack.pop_back(); continue; }
        return invalid(d, "after array element");
      }
    }
  }

 private:
  void skip_space() { while (i_ < s_.size() && is_space(s_[i_])) ++i_; }
  GoScan eof() { return fail("unexpected EOF"); }
  GoScan fail(std::string msg) { return {GoScan::Status::kError, 0, std::move(msg)}; }
  GoScan invalid(char c, std::string_view context) {
    return fail("invalid character " + quote_char(static_cast<unsigned char>(c)) + " " + std::string(context));
  }
  bool stop(GoScan r) { result_ = std::move(r); return false; }

  // A key string then ':' (the value follows in the main loop).
  bool key() {
    skip_space();
    if (i_ == s_.size()) return stop(eof());
    if (s_[i_] != '"') return stop(invalid(s_[i_], "looking for beginning of object key string"));
    if (!string()) return false;
    skip_space();
    if (i_ == s_.size()) return stop(eof());
    if (s_[i_] != ':') return stop(invalid(s_[i_], "after object key"));
    ++i_;
    return true;
  }

  bool scalar(std::string_view context) {
    const char c = s_[i_];
    if (c == '"') return string();
    if (c == '-' || is_digit(c)) return number();
    if (c == 't') return literal("true");
    if (c == 'f') return literal("false");
    if (c == 'n') return literal("null");
    return stop(invalid(c, context));
  }

  bool literal(std::string_view word) {
    for (std::size_t k = 0; k < word.size(); ++k, ++i_) {
      if (i_ == s_.size()) return stop(eof());
      if (s_[i_] != word[k]) {
        return stop(invalid(s_[i_], "in literal " + std::string(word) + " (expecting " +
                                        quote_char(static_cast<unsigned char>(word[k])) + ")"));
      }
    }
    return true;
  }

  bool string() {
    ++i_;  // opening quote
    while (i_ < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') { ++i_; return true; }
      if (c < 0x20) return stop(invalid(static_cast<char>(c), "in string literal"));
      if (c == '\\') {
        if (++i_ == s_.size()) break;
        const char e = s_[i_];
        if (e == 'u') {
          for (int k = 0; k < 4; ++k) {
            if (++i_ == s_.size()) return stop(eof());
            if (!is_hex(s_[i_])) return stop(invalid(s_[i_], "in \\u hexadecimal character escape"));
          }
        } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
          return stop(invalid(e, "in string escape code"));
        }
      }
      ++i_;
    }
    return stop(eof());
  }

  bool number() {
    if (s_[i_] == '-') {
      if (++i_ == s_.size()) return stop(eof());
      if (!is_digit(s_[i_])) return stop(invalid(s_[i_], "in numeric literal"));
    }
    if (s_[i_] == '0') ++i_;
    else while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
    if (i_ < s_.size() && s_[i_] == '.') {
      if (++i_ == s_.size()) return stop(eof());
      if (!is_digit(s_[i_])) return stop(invalid(s_[i_], "after decimal point in numeric literal"));
      while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      if (++i_ == s_.size()) return stop(eof());
      if (s_[i_] == '+' || s_[i_] == '-') {
        if (++i_ == s_.size()) return stop(eof());
      }
      if (!is_digit(s_[i_])) return stop(invalid(s_[i_], "in exponent of numeric literal"));
      while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
    }
    return true;
  }

  std::string_view s_;
  std::size_t i_ = 0;
  GoScan result_;
};

}  // namespace

GoScan scan_go_json(std::string_view body) { return Scanner(body).run(); }

}  // namespace corral::sim
