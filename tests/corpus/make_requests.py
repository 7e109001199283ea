#!/usr/bin/env python3
"""Writes tests/corpus/requests/*.http: one hostile or control request per file. The first line says what
the gateway must do with it: `expect STATUS forwarded N` (STATUS 0 = the connection is closed without an
answer; N = inference requests the simulator must see). The raw bytes follow, CR and LF as sent.
Re-run after editing the table; the files are committed."""
import os

GEN = '{"model":"llama3:8b","prompt":"hi","stream":false,"options":{"num_predict":1}}'
CL = str(len(GEN))

def chunked(body, size_line=None):
    return (size_line or format(len(body), 'x')) + "\r\n" + body + "\r\n0\r\n\r\n"

def with_length(body):
    return "Content-Length: " + str(len(body)) + "\r\n\r\n" + body

H = "POST /api/generate HTTP/1.1\r\nHost: g\r\n"
CASES = {
    # controls: legal requests must pass, so the checks cannot be refusing everything
    "ok-content-length": (200, 1, H + "Content-Length: " + CL + "\r\nConnection: close\r\n\r\n" + GEN),
    "ok-chunked": (200, 1, H + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked(GEN)),
    "ok-tab-ows": (200, 1, H + "Content-Length:\t" + CL + "\t\r\nConnection: close\r\n\r\n" + GEN),
    "ok-http10": (200, 1, "POST /api/generate HTTP/1.0\r\nContent-Length: " + CL + "\r\n\r\n" + GEN),
    # smuggling: two framings, or one framing spelled ambiguously
    "cl-te": (400, 0, H + "Content-Length: " + CL + "\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(GEN)),
    "te-cl": (400, 0, H + "Transfer-Encoding: chunked\r\nContent-Length: " + CL + "\r\n\r\n" + chunked(GEN)),
    "cl-cl-same": (400, 0, H + "Content-Length: " + CL + "\r\nContent-Length: " + CL + "\r\n\r\n" + GEN),
    "cl-cl-differ": (400, 0, H + "Content-Length: " + CL + "\r\nContent-Length: 5\r\n\r\n" + GEN),
    "cl-list": (400, 0, H + "Content-Length: " + CL + ", " + CL + "\r\n\r\n" + GEN),
    "cl-plus-sign": (400, 0, H + "Content-Length: +" + CL + "\r\n\r\n" + GEN),
    "cl-negative": (400, 0, H + "Content-Length: -1\r\n\r\n" + GEN),
    "cl-hex": (400, 0, H + "Content-Length: 0x10\r\n\r\n" + GEN),
    "cl-inner-space": (400, 0, H + "Content-Length: 1 0\r\n\r\n" + GEN),
    "te-xchunked": (400, 0, H + "Transfer-Encoding: xchunked\r\n\r\n" + chunked(GEN)),
    "te-chunked-twice": (400, 0, H + "Transfer-Encoding: chunked, chunked\r\n\r\n" + chunked(GEN)),
    "te-two-fields": (400, 0, H + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(GEN)),
    "te-gzip-chunked": (400, 0, H + "Transfer-Encoding: gzip, chunked\r\n\r\n" + chunked(GEN)),
    "te-not-last": (400, 0, H + "Transfer-Encoding: chunked, identity\r\n\r\n" + chunked(GEN)),
    "te-space-before-colon": (400, 0, H + "Transfer-Encoding : chunked\r\n\r\n" + chunked(GEN)),
    "te-vertical-tab": (400, 0, H + "Transfer-Encoding:\x0bchunked\r\n\r\n" + chunked(GEN)),
    "te-http10": (400, 0, "POST /api/generate HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(GEN)),
    "te-obs-fold": (400, 0, H + "Transfer-Encoding:\r\n chunked\r\n\r\n" + chunked(GEN)),
    "chunk-size-bad": (400, 0, H + "Transfer-Encoding: chunked\r\n\r\n" + chunked(GEN, "zz")),
    "chunk-size-overflow": (400, 0, H + "Transfer-Encoding: chunked\r\n\r\n" + chunked(GEN, "1" + "0" * 20)),
    "chunk-size-negative": (400, 0, H + "Transfer-Encoding: chunked\r\n\r\n" + chunked(GEN, "-" + format(len(GEN), 'x'))),
    "chunk-bare-lf": (400, 0, H + "Transfer-Encoding: chunked\r\n\r\n" + format(len(GEN), 'x') + "\n" + GEN + "\r\n0\r\n\r\n"),
    # head syntax
    "bare-cr": (400, 0, H + "X: a\rb\r\nContent-Length: " + CL + "\r\n\r\n" + GEN),
    "bare-lf-head": (400, 0, "POST /api/generate HTTP/1.1\nHost: g\nContent-Length: " + CL + "\n\n" + GEN),
    "nul-in-value": (400, 0, H + "X-A: a\x00b\r\nContent-Length: " + CL + "\r\n\r\n" + GEN),
    "obs-fold": (400, 0, H + "X-A: a\r\n b\r\nContent-Length: " + CL + "\r\n\r\n" + GEN),
    "space-in-name": (400, 0, H + "X A: b\r\nContent-Length: " + CL + "\r\n\r\n" + GEN),
    "empty-name": (400, 0, H + ": b\r\nContent-Length: " + CL + "\r\n\r\n" + GEN),
    "two-hosts": (400, 0, "POST /api/generate HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: " + CL + "\r\n\r\n" + GEN),
    "no-host": (400, 0, "POST /api/generate HTTP/1.1\r\nContent-Length: " + CL + "\r\n\r\n" + GEN),
    "host-userinfo": (400, 0, "POST /api/generate HTTP/1.1\r\nHost: a@b\r\nContent-Length: " + CL + "\r\n\r\n" + GEN),
    "double-space-request-line": (400, 0, "POST  /api/generate HTTP/1.1\r\nHost: g\r\nContent-Length: " + CL + "\r\n\r\n" + GEN),
    "lowercase-version": (400, 0, "POST /api/generate http/1.1\r\nHost: g\r\nContent-Length: " + CL + "\r\n\r\n" + GEN),
    "relative-target": (400, 0, "POST api/generate HTTP/1.1\r\nHost: g\r\nContent-Length: " + CL + "\r\n\r\n" + GEN),
    "fragment-in-target": (400, 0, "POST /api/generate#x HTTP/1.1\r\nHost: g\r\nContent-Length: " + CL + "\r\n\r\n" + GEN),
    # routed on the path as sent, like gin: no route matches, nothing is forwarded
    "dot-segments": (404, 0, "POST /api/../api/generate HTTP/1.1\r\nHost: g\r\nConnection: close\r\nContent-Length: " + CL + "\r\n\r\n" + GEN),
    "http2-version": (505, 0, "POST /api/generate HTTP/2.0\r\nHost: g\r\nContent-Length: " + CL + "\r\n\r\n" + GEN),
    "expect-other": (417, 0, H + "Expect: 200-ok\r\nContent-Length: " + CL + "\r\n\r\n" + GEN),
    "uri-too-long": (414, 0, "GET /" + "a" * 9000 + " HTTP/1.1\r\nHost: g\r\n\r\n"),
    "header-too-large": (431, 0, H + "X: " + "a" * 40000 + "\r\nContent-Length: " + CL + "\r\n\r\n" + GEN),
    "too-many-headers": (431, 0, H + "".join("X-%d: v\r\n" % i for i in range(150)) + "Content-Length: " + CL + "\r\n\r\n" + GEN),
    "body-too-large": (413, 0, H + "Content-Length: 99999999999\r\n\r\n"),
    # bodies the routing refuses (framing fine: the connection may stay, nothing is forwarded)
    "json-duplicate-model": (400, 0, H + "Connection: close\r\n" + with_length('{"model":"llama3:8b","model":"other:1b"}')),
    "json-truncated": (400, 0, H + "Connection: close\r\n" + with_length('{"mo')),
}

os.makedirs(os.path.join(os.path.dirname(__file__), "requests"), exist_ok=True)
for name, (status, forwarded, raw) in CASES.items():
    with open(os.path.join(os.path.dirname(__file__), "requests", name + ".http"), "wb") as f:
        f.write(("expect %d forwarded %d\n" % (status, forwarded)).encode() + raw.encode("latin-1"))
print(len(CASES), "files")
