// Notices a client that left while its request is being proxied (queued, connecting, waiting for a model
// to load, between stream chunks), so its upstream work can be cancelled: closing the upstream connection
// is the only cancel signal Ollama understands (style.md section 8). A leaf header (no other net/
// include) so proxy/ may use it.
//
// How it sees the client leave: the connection keeps ONE read pending on the client socket from
// the moment a request has been read, the read of the next request started early (ClientConnection's
// read-ahead). EOF or an error on it means the client left; bytes mean a pipelined request, which stays in
// the connection's buffer for the next head. This replaced a `work() || async_wait(wait_read)` race per
// phase: Asio registers a wait_read with epoll_ctl(EPOLL_CTL_MOD) every time (3 syscalls per request, a
// third of all), and each `||` allocated a parallel group and a second coroutine.
#pragma once

#include "common/asio.hpp"

namespace corral::gateway {

/// One per client connection, on its worker thread only. The connection's coroutine is spawned with
/// `slot()` bound, so `client_left()` can cancel whatever it awaits while a phase is armed.
class DisconnectWatch final {
 public:
  /// Disarms on destruction.
  class [[nodiscard]] Armed final {
   public:
    explicit Armed(DisconnectWatch& w) : w_(&w) { w.armed_ = true; }
    Armed(const Armed&) = delete;
    Armed& operator=(const Armed&) = delete;
    ~Armed() { w_->armed_ = false; }

   private:
    DisconnectWatch* w_;
  };

  /// The client closed or reset the connection (seen by the read-ahead).
  [[nodiscard]] bool gone() const noexcept { return gone_; }

  /// While the guard lives, a departure emits terminal cancellation into the connection's coroutine:
  /// the operation it awaits completes with operation_aborted, and (Asio's throw_if_cancelled, on by
  /// default) any later co_await of an operation in that coroutine throws operation_aborted. The caller
  /// checks gone() after arming (the client may have left already) and after every armed await, and
  /// catches the exception where the request ends (proxy_handler's dispatch).
  [[nodiscard]] Armed arm() { return Armed(*this); }

  /// Called by the connection when the read-ahead ended without bytes.
  void client_left() {
    gone_ = true;
    if (armed_) {
      armed_ = false;
      signal_.emit(net::cancellation_type::terminal);
    }
  }

  /// The slot the connection's coroutine is spawned with.
  [[nodiscard]] net::cancellation_slot slot() { return signal_.slot(); }

 private:
  net::cancellation_signal signal_;
  bool gone_ = false;
  bool armed_ = false;
};

}  // namespace corral::gateway
