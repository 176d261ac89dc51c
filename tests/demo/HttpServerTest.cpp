#include "demo/service/HttpServer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace fro::demo {
namespace {

// Sends raw bytes to 127.0.0.1:port and returns everything the server answers (it closes).
std::string roundTrip(int port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{5, 0};  // bounds the test if the server never answers
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

TEST(HttpServerHead, ParsesRequestLineAndContentLength) {
  auto r = HttpServer::parseHead("POST /faults?flag=a HTTP/1.1\r\nHost: x\r\ncontent-LENGTH: 12\r\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->target, "/faults?flag=a");
  EXPECT_EQ(r->contentLength, 12u);
  EXPECT_TRUE(HttpServer::parseHead("GET / HTTP/1.0").ok());
}

TEST(HttpServerHead, RejectsMalformedHeads) {
  EXPECT_FALSE(HttpServer::parseHead("GET /").ok());
  EXPECT_FALSE(HttpServer::parseHead("GET / HTTP/2").ok());
  EXPECT_FALSE(HttpServer::parseHead("GET nope HTTP/1.1").ok());
  EXPECT_FALSE(HttpServer::parseHead("GET / x HTTP/1.1").ok());
  EXPECT_FALSE(HttpServer::parseHead("POST / HTTP/1.1\r\nContent-Length: -3").ok());
  EXPECT_FALSE(HttpServer::parseHead("POST / HTTP/1.1\r\nTransfer-Encoding: chunked").ok());
}

TEST(HttpServer, AnswersOverARealSocket) {
  std::string seenMethod, seenTarget;
  HttpServer server([&](std::string_view m, std::string_view t) {
    seenMethod = m;
    seenTarget = t;
    return HttpReply{200, "{\"ok\":true}\n"};
  });
  auto port = server.start({"127.0.0.1", 0});
  ASSERT_TRUE(port.ok()) << port.error().message;
  ASSERT_GT(*port, 0);

  std::string resp = roundTrip(*port, "POST /faults?flag=a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_EQ(resp, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\nConnection: close\r\n\r\n{\"ok\":true}\n");
  EXPECT_EQ(seenMethod, "POST");
  EXPECT_EQ(seenTarget, "/faults?flag=a");

  resp = roundTrip(*port, "BROKEN\r\n\r\n");
  EXPECT_EQ(resp.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << resp;
  EXPECT_NE(resp.find("malformed request line"), std::string::npos);

  server.stop();
  EXPECT_EQ(roundTrip(*port, "GET / HTTP/1.1\r\n\r\n"), "") << "nothing listens after stop()";
}

TEST(HttpServer, ReportsAPortInUse) {
  HttpServer a([](std::string_view, std::string_view) { return HttpReply{}; });
  auto port = a.start({"127.0.0.1", 0});
  ASSERT_TRUE(port.ok());
  HttpServer b([](std::string_view, std::string_view) { return HttpReply{}; });
  auto again = b.start({"127.0.0.1", *port});
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("127.0.0.1:" + std::to_string(*port)), std::string::npos) << again.error().message;
}

}  // namespace
}  // namespace fro::demo
