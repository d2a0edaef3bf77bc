// The ELF object writer (compiler/ebpf/object.h): its layout read back with
// <elf.h>; the readers that must accept it (libbpf's bpf_object__open_file +
// load, bpftool prog load, ip link set ... xdp obj) in the real kernel; and
// the firewall it makes, attached to a veth in a private namespace pair,
// passing or dropping real traffic.
#include "compiler/ebpf/object.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <elf.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/compile.h"
#include "tests/integration/netns.h"
#include "tests/integration/traffic.h"

namespace bpfcap::ebpf {
namespace {

using bpfcap::test::NetnsPair;

#define SKIP_UNLESS_ROOT()                                                               \
  if (geteuid() != 0) GTEST_SKIP() << "needs root (CAP_BPF, CAP_NET_ADMIN) to load and " \
                                      "attach XDP programs; run the tests as root"

// The firewall for `expr` as the CLI compiles it: passes what matches,
// drops the rest, or the inverse when drop_matching.
Program Firewall(const std::string& expr, bool drop_matching = false) {
  GenOptions gen;
  gen.target = Target::kXdp;
  gen.xdp_accept = drop_matching ? kXdpDrop : kXdpPass;
  gen.xdp_reject = drop_matching ? kXdpPass : kXdpDrop;
  const EbpfCompileResult r = CompileEbpf(expr, CompileOptions{}, gen);
  EXPECT_TRUE(r.diag.ok()) << expr << ": " << r.diag.message;
  return r.program;
}

// A file in /tmp, removed when the test ends.
class TempFile {
 public:
  TempFile() {
    char name[] = "/tmp/bpfcap-object-XXXXXX";
    const int fd = mkstemp(name);
    if (fd >= 0) close(fd);
    path_ = name;
  }
  ~TempFile() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

template <typename T>
T At(const std::string& bytes, uint64_t offset) {
  T v;
  std::memcpy(&v, bytes.data() + offset, sizeof v);
  return v;
}

struct Section {
  std::string name;
  Elf64_Shdr hdr;
};

std::vector<Section> Sections(const std::string& obj) {
  const auto eh = At<Elf64_Ehdr>(obj, 0);
  std::vector<Elf64_Shdr> hdrs;
  for (int i = 0; i < eh.e_shnum; ++i) hdrs.push_back(At<Elf64_Shdr>(obj, eh.e_shoff + 64u * i));
  std::vector<Section> out;
  for (const Elf64_Shdr& h : hdrs) {
    out.push_back({std::string(obj.data() + hdrs[eh.e_shstrndx].sh_offset + h.sh_name), h});
  }
  return out;
}

// --- layout --------------------------------------------------------------------

TEST(EbpfObject, HeaderSaysRelocatableLittleEndianBpf) {
  const std::string obj = ElfObject(Firewall("icmp"));
  const auto eh = At<Elf64_Ehdr>(obj, 0);
  EXPECT_EQ(std::memcmp(eh.e_ident, ELFMAG, SELFMAG), 0);
  EXPECT_EQ(eh.e_ident[EI_CLASS], ELFCLASS64);
  EXPECT_EQ(eh.e_ident[EI_DATA], ELFDATA2LSB);
  EXPECT_EQ(eh.e_type, ET_REL);
  EXPECT_EQ(eh.e_machine, EM_BPF);
  EXPECT_EQ(eh.e_shnum, 5);
  EXPECT_EQ(eh.e_shoff % 8, 0u);
  EXPECT_EQ(eh.e_shoff + 5 * sizeof(Elf64_Shdr), obj.size());
}

TEST(EbpfObject, SectionsHoldTheProgramLicenseAndSymbols) {
  const Program prog = Firewall("udp port 53");
  const std::string obj = ElfObject(prog);
  const std::vector<Section> s = Sections(obj);
  ASSERT_EQ(s.size(), 5u);
  const char* names[] = {"", ".strtab", "xdp", "license", ".symtab"};
  const uint32_t types[] = {SHT_NULL, SHT_STRTAB, SHT_PROGBITS, SHT_PROGBITS, SHT_SYMTAB};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(s[i].name, names[i]);
    EXPECT_EQ(s[i].hdr.sh_type, types[i]) << names[i];
  }
  const Elf64_Shdr& text = s[2].hdr;
  EXPECT_EQ(text.sh_flags, uint64_t{SHF_ALLOC | SHF_EXECINSTR});
  EXPECT_EQ(text.sh_offset % 8, 0u);
  ASSERT_EQ(text.sh_size, prog.size() * 8);
  EXPECT_EQ(std::memcmp(obj.data() + text.sh_offset, prog.data(), text.sh_size), 0);
  EXPECT_EQ(std::string(obj.data() + s[3].hdr.sh_offset, s[3].hdr.sh_size),
            std::string("Dual BSD/GPL", 13));

  const Elf64_Shdr& symtab = s[4].hdr;
  EXPECT_EQ(symtab.sh_link, 1u);
  EXPECT_EQ(symtab.sh_info, 1u);  // first global
  ASSERT_EQ(symtab.sh_size, 3 * sizeof(Elf64_Sym));
  const auto func = At<Elf64_Sym>(obj, symtab.sh_offset + sizeof(Elf64_Sym));
  EXPECT_EQ(std::string(obj.data() + s[1].hdr.sh_offset + func.st_name), "bpfcap_xdp");
  EXPECT_EQ(func.st_info, ELF64_ST_INFO(STB_GLOBAL, STT_FUNC));
  EXPECT_EQ(func.st_shndx, 2);
  EXPECT_EQ(func.st_value, 0u);
  EXPECT_EQ(func.st_size, text.sh_size);
  const auto lic = At<Elf64_Sym>(obj, symtab.sh_offset + 2 * sizeof(Elf64_Sym));
  EXPECT_EQ(std::string(obj.data() + s[1].hdr.sh_offset + lic.st_name), "_license");
  EXPECT_EQ(lic.st_shndx, 3);
}

TEST(EbpfObject, SameProgramSameBytes) {
  EXPECT_EQ(ElfObject(Firewall("tcp port 22")), ElfObject(Firewall("tcp port 22")));
  EXPECT_NE(ElfObject(Firewall("tcp port 22")), ElfObject(Firewall("tcp port 22", true)));
}

TEST(EbpfObject, OptionsNameTheSectionFunctionAndLicense) {
  ObjectOptions o;
  o.section = "xdp/fw";
  o.function = "fw";
  o.license = "GPL";
  const std::string obj = ElfObject(Firewall("ip"), o);
  const std::vector<Section> s = Sections(obj);
  EXPECT_EQ(s[2].name, "xdp/fw");
  EXPECT_EQ(std::string(obj.data() + s[3].hdr.sh_offset, s[3].hdr.sh_size), std::string("GPL", 4));
}

TEST(EbpfObject, UnwritablePathIsAnError) {
  std::string error;
  EXPECT_FALSE(WriteElfObject("/nonexistent-dir/f.o", Firewall("ip"), &error));
  EXPECT_EQ(error, "can't write '/nonexistent-dir/f.o': No such file or directory");
}

// --- what loads it ---------------------------------------------------------------

// Ethernet + IPv4 (20 bytes) + `l4`, protocol `proto`, to 10.0.0.2.
std::vector<uint8_t> Ip4Frame(uint8_t proto, std::vector<uint8_t> l4) {
  std::vector<uint8_t> f = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00,
                            0x45, 0, 0, uint8_t(20 + l4.size()), 0, 1, 0, 0, 64, proto, 0, 0,
                            10, 0, 0, 1, 10, 0, 0, 2};
  f.insert(f.end(), l4.begin(), l4.end());
  return f;
}
const std::vector<uint8_t> kIcmpEcho = Ip4Frame(1, {8, 0, 0, 0, 0, 1, 0, 1});
const std::vector<uint8_t> kUdp4000 = Ip4Frame(17, {0x9c, 0x40, 0x0f, 0xa0, 0, 8, 0, 0});

uint32_t TestRun(int prog_fd, const std::vector<uint8_t>& frame) {
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
              .data_size_in = static_cast<uint32_t>(frame.size()), .repeat = 1);
  EXPECT_EQ(bpf_prog_test_run_opts(prog_fd, &opts), 0);
  return opts.retval;
}

TEST(EbpfObject, LibbpfOpensAndLoadsIt) {
  SKIP_UNLESS_ROOT();
  for (bool drop_matching : {false, true}) {
    TempFile f;
    std::string error;
    ASSERT_TRUE(WriteElfObject(f.path(), Firewall("icmp", drop_matching), &error)) << error;
    bpf_object* obj = bpf_object__open_file(f.path().c_str(), nullptr);
    ASSERT_NE(obj, nullptr) << "bpf_object__open_file: " << std::strerror(errno);
    int programs = 0;
    bpf_program* prog;
    bpf_object__for_each_program(prog, obj) ++programs;
    EXPECT_EQ(programs, 1);
    prog = bpf_object__find_program_by_name(obj, "bpfcap_xdp");
    ASSERT_NE(prog, nullptr);
    EXPECT_STREQ(bpf_program__section_name(prog), "xdp");
    EXPECT_EQ(bpf_program__type(prog), BPF_PROG_TYPE_XDP);
    ASSERT_EQ(bpf_object__load(obj), 0) << "bpf_object__load failed";
    const uint32_t pass = kXdpPass, drop = kXdpDrop;
    EXPECT_EQ(TestRun(bpf_program__fd(prog), kIcmpEcho), drop_matching ? drop : pass);
    EXPECT_EQ(TestRun(bpf_program__fd(prog), kUdp4000), drop_matching ? pass : drop);
    bpf_object__close(obj);
  }
}

TEST(EbpfObject, BpftoolLoadsAndPinsIt) {
  SKIP_UNLESS_ROOT();
  TempFile f;
  std::string error, out;
  ASSERT_TRUE(WriteElfObject(f.path(), Firewall("tcp port 22", true), &error)) << error;
  const std::string pin = "/sys/fs/bpf/bpfcT-object-" + std::to_string(getpid());
  const int status = test::RunCommand({"bpftool", "prog", "load", f.path(), pin}, &out);
  struct Unpin {
    std::string path;
    ~Unpin() { unlink(path.c_str()); }
  } unpin{pin};
  ASSERT_EQ(status, 0) << out;
  ASSERT_EQ(test::RunCommand({"bpftool", "prog", "show", "pinned", pin}, &out), 0) << out;
  EXPECT_NE(out.find("xdp  name bpfcap_xdp"), std::string::npos) << out;
}

// --- the firewall on a real link ------------------------------------------------

class EbpfObjectLink : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_UNLESS_ROOT();
    std::string error;
    net_ = NetnsPair::Create("obj", &error);
    ASSERT_NE(net_, nullptr) << error;
  }
  void TearDown() override {
    if (attached_) Ip({"link", "set", "dev", net_->ifname(NetnsPair::kB), "xdp", "off"});
  }

  int Ip(const std::vector<std::string>& args, std::string* out = nullptr) {
    std::vector<std::string> argv = {"ip", "-n", net_->ns(NetnsPair::kB)};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::RunCommand(argv, out);
  }

  // Writes the firewall and attaches it to B's veth with iproute2: it sees
  // what A sends to B.
  void Attach(const std::string& expr, bool drop_matching) {
    std::string error, out;
    ASSERT_TRUE(WriteElfObject(file_.path(), Firewall(expr, drop_matching), &error)) << error;
    ASSERT_EQ(Ip({"link", "set", "dev", net_->ifname(NetnsPair::kB), "xdp", "obj", file_.path(),
                  "sec", "xdp"},
                 &out),
              0)
        << out;
    attached_ = true;
    ASSERT_EQ(Ip({"link", "show", "dev", net_->ifname(NetnsPair::kB)}, &out), 0);
    EXPECT_NE(out.find("prog/xdp"), std::string::npos) << out;
    EXPECT_NE(out.find("name bpfcap_xdp"), std::string::npos) << out;
  }

  bool UdpArrives(uint16_t port) {
    test::UdpReceiver rx(*net_, NetnsPair::kB, port);
    EXPECT_TRUE(rx.ok());
    EXPECT_TRUE(net_->SendUdp4(NetnsPair::kA, 40000, port, "through?"));
    return rx.Receive(200);
  }

  std::unique_ptr<NetnsPair> net_;
  TempFile file_;
  bool attached_ = false;
};

TEST_F(EbpfObjectLink, PassesWhatMatchesAndDropsTheRest) {
  ASSERT_TRUE(UdpArrives(7100));  // the link works before
  Attach("icmp", false);
  EXPECT_TRUE(test::PingReplies(*net_, NetnsPair::kA, 7, 1));
  EXPECT_FALSE(UdpArrives(7100));
}

TEST_F(EbpfObjectLink, DropMatchingDropsWhatMatchesAndPassesTheRest) {
  Attach("udp port 7101", true);
  EXPECT_FALSE(UdpArrives(7101));
  EXPECT_TRUE(UdpArrives(7102));
  EXPECT_TRUE(test::PingReplies(*net_, NetnsPair::kA, 7, 2));
}

}  // namespace
}  // namespace bpfcap::ebpf
