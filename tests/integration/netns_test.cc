// The namespace test kit itself: a pair comes up with working links and
// goes away completely.
#include "tests/integration/netns.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

namespace bpfcap::test {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

TEST(Netns, PairComesUpAndIsRemoved) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root: creates network namespaces";
  std::string error, ns_a, ns_b;
  {
    auto net = NetnsPair::Create("kit", &error);
    ASSERT_NE(net, nullptr) << error;
    ns_a = net->ns(NetnsPair::kA);
    ns_b = net->ns(NetnsPair::kB);
    EXPECT_TRUE(Exists("/run/netns/" + ns_a));
    EXPECT_LE(net->ifname(NetnsPair::kA).size(), 15u);
    EXPECT_GT(net->ifindex(NetnsPair::kA), 0);
    // Both address families work across the pair.
    EXPECT_TRUE(net->Ping4(NetnsPair::kB, 1, 1));
    EXPECT_TRUE(net->TcpHandshake(NetnsPair::kB, 7999));
    EXPECT_TRUE(net->SendUdp6(NetnsPair::kA, 40000, 7998, "x"));
    std::string out;
    EXPECT_EQ(net->Exec(NetnsPair::kA, {"ip", "-o", "link", "show", net->ifname(NetnsPair::kA)},
                        &out), 0) << out;
    EXPECT_NE(out.find("state UP"), std::string::npos) << out;
  }
  EXPECT_FALSE(Exists("/run/netns/" + ns_a));
  EXPECT_FALSE(Exists("/run/netns/" + ns_b));
}

TEST(Netns, RejectsBadTag) {
  std::string error;
  EXPECT_EQ(NetnsPair::Create("toolong", &error), nullptr);
  EXPECT_EQ(error, "netns tag must have 1 to 4 characters");
}

}  // namespace
}  // namespace bpfcap::test
